"""Sweep workers: processes that check chunks, watched for death and hangs.

Every sweep checks its chunks in worker processes, even with one job (and on
cuda, one worker): a target that kills its process (``os._exit(0)``, a
segfault, a CUDA device-side abort) must fail the chunk it was checking, with
the exit status or signal, instead of ending the sweep with the target's exit
status; and a call that never returns must fail its chunk after
``call_timeout`` seconds instead of hanging the sweep. ``SystemExit`` or
``KeyboardInterrupt`` raised by the target fail the chunk the same way (the
worker catches them and goes on).

A worker tells the parent which call it starts (``announce``), so the
timeout is per call and a failure names the call. The parent kills a worker
that overruns and starts a fresh one for the chunks that remain.

Workers are forked from a fork server that has already imported torch and
NumPy (``multiprocessing``'s ``forkserver``), so a worker starts in
milliseconds rather than the seconds a fresh interpreter takes to import
torch; the server itself never runs a target or touches CUDA. Where there is
no fork server (Windows), workers are spawned.
"""

from __future__ import annotations

import collections
import dataclasses
import multiprocessing
import multiprocessing.connection
import signal
import sys
import time
from collections.abc import Iterator

from .judge import ChunkFailure, ChunkOutcome, exception_text
from .plan import SweepPlan

__all__ = ["WorkerJob", "WorkerPool", "WorkerStartError", "check_chunks", "describe_exit",
           "make_checker", "warm_up", "worker_context"]

_DEPTH = 2  # chunks queued per worker, so that it never waits for the parent between two
_START_TIMEOUT = 120.0  # seconds a worker may take to import the target and build its checker
_STOP_TIMEOUT = 5.0
_PRELOAD = ["numpy", "torch", "reference", "conformance.sweep.check"]


@dataclasses.dataclass(frozen=True)
class WorkerJob:
    """What a worker needs to build its checker: the target by name, not the loaded one."""

    spec: str
    plan: SweepPlan
    semantics: object  # reference.Semantics
    keep: int
    device: str
    sys_path: tuple[str, ...] = ()


def make_checker(target, plan: SweepPlan, *, semantics, keep: int, device: str = "cpu",
                 announce=None):
    """The chunk checker for ``device``: the one place the CPU and GPU paths part."""
    if device == "cuda":  # the GPU does the parallel work (conformance.sweep.cuda)
        from .cuda import CudaChunkChecker

        return CudaChunkChecker(target, plan, semantics=semantics, keep=keep, announce=announce)
    from .check import ChunkChecker

    return ChunkChecker(target, plan, semantics=semantics, keep=keep, announce=announce)


def describe_exit(code: int | None) -> str:
    """A worker's end in words: "exited with status 0", "was killed by SIGSEGV"."""
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def worker_context():
    """The ``multiprocessing`` context every worker of the suite starts from (a fork server
    with torch imported, else spawn); the fingerprint's observer uses it too."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)  # no effect once the server runs
        return ctx
    return multiprocessing.get_context("spawn")  # fork after importing torch is unsafe


def warm_up() -> None:
    """Start the fork server now, so that it imports torch while the caller does other work."""
    ctx = worker_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


# -- in the worker ------------------------------------------------------------------------------


def _work(conn, job: WorkerJob) -> None:
    """A worker's life: build the checker, then check the chunk numbers the parent sends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it saves and stops
    sys.path[:] = list(job.sys_path) or sys.path
    calling = ["setting up"]

    def announce(what: str) -> None:
        calling[0] = what
        conn.send(("call", what))

    try:
        import torch

        from ..targets import load_target

        torch.set_num_threads(1)  # parallelism comes from the processes
        target = load_target(job.spec)
        checker = make_checker(target, job.plan, semantics=job.semantics, keep=job.keep,
                               device=job.device, announce=announce)
    except BaseException as exc:  # whatever it is, the parent must hear of it
        conn.send(("broken", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready",))
    while True:
        number = conn.recv()
        if number is None:
            return
        calling[0] = "the checks"
        conn.send(("start", number))
        try:
            outcome = checker.check(number)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt from the target
            conn.send(("raised", number, f"{calling[0]} raised {exception_text(exc)}"))
            continue
        conn.send(("done", outcome))


# -- in the parent ------------------------------------------------------------------------------


class _Worker:
    """The parent's view of one worker: its pipe, its queue of chunks, its deadline."""

    def __init__(self, ctx, job: WorkerJob, call_timeout: float):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_work, args=(child, job), daemon=True,
                                   name="conformance-sweep-worker")
        self.process.start()
        child.close()
        self.queued: collections.deque[int] = collections.deque()  # sent, not finished
        self.current: int | None = None  # started, not finished
        self.last: int | None = None  # the last one finished
        self.calling = "start-up"
        self.ready = False
        self.start_timeout = max(_START_TIMEOUT, call_timeout)
        self.deadline = time.monotonic() + self.start_timeout
        self.gone = False

    def send(self, number: int | None) -> None:
        try:
            self.conn.send(number)
        except OSError:  # BrokenPipeError: it died; its sentinel says so next
            self.gone = True

    def messages(self):
        """What the worker has sent so far; stops at the end of its pipe."""
        while not self.gone:
            try:
                if not self.conn.poll():
                    return
                yield self.conn.recv()
            except (EOFError, OSError):
                self.gone = True

    def stop(self, kill: bool) -> None:
        if self.process.is_alive():
            if kill:
                self.process.kill()
            else:
                self.send(None)
            self.process.join(_STOP_TIMEOUT)
            if self.process.is_alive():
                self.process.kill()
        self.process.join()
        self.conn.close()


class WorkerStartError(RuntimeError):
    """A worker could not import the target or build its checker (nothing can be checked)."""


class WorkerPool:
    """Up to ``jobs`` supervised workers checking chunks of one job, kept between ``check`` calls.

    A caller that hands out chunks in batches (a Dask task per block of
    chunks) keeps its workers, and the seconds they took to start, from one
    batch to the next. ``close`` stops them.
    """

    def __init__(self, job: WorkerJob, *, jobs: int, call_timeout: float):
        self.job = job
        self.jobs = jobs
        self.call_timeout = call_timeout
        self.ctx = worker_context()
        self.workers: list[_Worker] = []

    def check(self, numbers: Iterator[int]) -> Iterator[ChunkOutcome | ChunkFailure]:
        """Each chunk's outcome, or its failure, as it finishes (not in chunk order).

        A chunk whose worker dies, overruns ``call_timeout`` on one call, or
        raises past the checks is a ``ChunkFailure``; its worker is replaced
        and the chunks it had queued go to the others. Raises
        ``WorkerStartError`` when a worker cannot start. Closing the generator
        before its end kills the workers (the chunks they held are simply not
        reported); at its end they wait, idle, for the next call.
        """
        numbers = iter(numbers)
        retry: collections.deque[int] = collections.deque()  # handed back by a dead worker
        lookahead = next(numbers, None)

        def more() -> bool:
            return bool(retry) or lookahead is not None

        def take() -> int:
            nonlocal lookahead
            if retry:
                return retry.popleft()
            number, lookahead = lookahead, next(numbers, None)
            return number

        workers, call_timeout = self.workers, self.call_timeout
        done = False
        try:
            while True:
                while len(workers) < self.jobs and more():
                    workers.append(_Worker(self.ctx, self.job, call_timeout))
                for w in workers:
                    if not w.queued and w.ready and more():  # idle until now: its clock starts
                        w.deadline = time.monotonic() + call_timeout
                    while len(w.queued) < _DEPTH and more():
                        w.queued.append(take())
                        w.send(w.queued[-1])
                busy = [w for w in workers if w.queued or not w.ready]
                if not busy:
                    done = True
                    return
                wait = max(0.0, min(w.deadline for w in busy) - time.monotonic())
                multiprocessing.connection.wait(
                    [w.conn for w in workers] + [w.process.sentinel for w in workers], wait)
                for w in list(workers):
                    yield from _receive(w, call_timeout)
                    failure = _check_alive(w, call_timeout)
                    if failure is None:
                        continue
                    workers.remove(w)
                    w.stop(kill=True)
                    if not w.ready:
                        raise WorkerStartError(failure)
                    # the chunk it was on fails; else the one it finished last (a thread of
                    # the target may end the process after a call returned)
                    blamed = w.current if w.current is not None else (
                        w.last if w.last is not None else w.queued[0] if w.queued else None)
                    retry.extend(n for n in w.queued if n != blamed)
                    if blamed is not None:
                        yield ChunkFailure(blamed, failure)
        finally:
            if not done:
                for w in workers:
                    w.stop(kill=True)
                workers.clear()

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers: ask them to end, or (``kill``) kill them, which an idle one
        does not mind and which never waits."""
        for w in self.workers:
            w.stop(kill=kill)
        self.workers.clear()


def check_chunks(job: WorkerJob, numbers: Iterator[int], *, jobs: int,
                 call_timeout: float) -> Iterator[ChunkOutcome | ChunkFailure]:
    """``WorkerPool.check`` of a pool that lives as long as the generator."""
    pool = WorkerPool(job, jobs=jobs, call_timeout=call_timeout)
    try:
        yield from pool.check(numbers)
    finally:
        pool.close()


def _receive(w: _Worker, call_timeout: float):
    """Handle what ``w`` has sent; yield the outcomes and failures it reports."""
    for message in w.messages():
        kind = message[0]
        w.deadline = time.monotonic() + call_timeout
        if kind == "ready":
            w.ready = True
        elif kind == "broken":
            w.gone = True
            raise WorkerStartError(f"a sweep worker could not set up: {message[1]}")
        elif kind == "start":
            w.current, w.calling = message[1], "the checks"
        elif kind == "call":
            w.calling = message[1]
        elif kind in ("done", "raised"):
            w.last = w.queued.popleft()
            w.current = None
            yield message[1] if kind == "done" else ChunkFailure(w.last, message[2])
    if not w.queued and w.ready:
        w.deadline = float("inf")  # idle: nothing can hang


def _check_alive(w: _Worker, call_timeout: float) -> str | None:
    """Why ``w`` can no longer work (it died or overran), or None."""
    if w.gone or not w.process.is_alive():
        w.process.join(_STOP_TIMEOUT)
        w.gone = True
        during = ("during its start-up" if not w.ready else f"during {w.calling}"
                  if w.current is not None else "between two chunks")
        return f"the worker process {describe_exit(w.process.exitcode)} {during}"
    if time.monotonic() > w.deadline:
        if not w.ready:
            return (f"a sweep worker did not start within {w.start_timeout:g} s (importing the "
                    "target); the worker was killed")
        return f"{w.calling} did not return within {call_timeout:g} s (the worker was killed)"
    return None
