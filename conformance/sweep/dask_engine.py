"""Sweeps on a Dask cluster: blocks of chunks as Dask tasks, each judged as on this machine.

A grid of hundreds of float32 configurations (2**32 inputs each) outgrows
one machine. ``DaskEngine`` hands a sweep's chunks to a Dask cluster
(``dask.distributed``): each task checks a block of consecutive chunks with
the same supervised worker process a local sweep uses
(``conformance.sweep.workers.WorkerPool``), which each Dask worker thread
starts from its own fork server at its first task and keeps for the
sweep's later ones. So:

* a target that kills its process or hangs fails *its chunk*, with the
  cause, exactly as on this machine (the supervised process dies, not the
  Dask worker), and the task goes on with the next chunk;
* a Dask worker that is lost (its machine dies, it is killed, it runs out
  of memory) loses only its tasks in flight: the scheduler runs them again
  on another worker (Dask's ``allowed-failures``; a task whose runs killed
  that many workers ends the sweep, INCOMPLETE). A task that raises is
  retried ``RETRIES`` times. The sweep's job (its plan) is scattered to
  the workers once; should every copy be lost at once, the sweep ends
  INCOMPLETE, and its resume file continues it. Results are folded by
  ``conformance.sweep.ledger``, which counts a chunk once even if it is
  reported twice;
* the results, the resume file and the verdict are those of a local sweep.

The supervised process is a child of the Dask worker, which Dask starts as
a daemonic process by default, and daemonic processes may not have
children: workers must run with ``distributed.worker.daemon`` false (the
``LocalCluster`` started here does; for ``dask worker``, set
``DASK_DISTRIBUTED__WORKER__DAEMON=False``). Workers import the target by
its spec, with their own ``sys.path``: the project and the target must be
installed (or on ``PYTHONPATH``) on every worker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import threading
import uuid
from collections.abc import Iterator

from ..errors import UsageError
from .judge import ChunkFailure, ChunkOutcome
from .ranges import ChunkRanges
from .workers import WorkerJob, WorkerPool, WorkerStartError, warm_up

__all__ = ["ClusterError", "DaskEngine", "check_block", "release_pools", "task_blocks",
           "warm_worker"]

#: Times a task that raised (not one whose worker died) runs again before the sweep stops.
RETRIES = 2
#: Patterns one task checks at most (64 float32 chunks of 2**20: about a second per core):
#: enough that Dask's cost per task (milliseconds) is small, few enough that a lost worker
#: costs little work and the progress moves.
TASK_PATTERNS = 1 << 26
#: Tasks per worker thread the sweep aims for at least, so that no thread idles at the end.
TASKS_PER_THREAD = 4
_CONNECT_TIMEOUT_S = 10
_WORKERS_TIMEOUT_S = 60

_DAEMONIC = (
    "which may not start the sweep's supervised worker processes: start the Dask workers with "
    "DASK_DISTRIBUTED__WORKER__DAEMON=False (or dask worker --no-nanny)"
)


class ClusterError(RuntimeError):
    """The cluster could not run a task (its runs killed too many workers, or it kept raising)."""


@dataclasses.dataclass
class _Pool:
    """The supervised worker of one Dask worker thread, for one sweep (``token``)."""

    token: str
    pool: WorkerPool
    busy: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_POOLS: dict[int, _Pool] = {}  # by Dask worker thread
_POOLS_LOCK = threading.Lock()


def _pool_of_this_thread(job: WorkerJob, token: str, call_timeout: float) -> _Pool:
    with _POOLS_LOCK:
        mine = _POOLS.get(threading.get_ident())
        if mine is not None and mine.token != token:  # another sweep's, idle: this thread's
            mine.pool.close(kill=True)
            mine = None
        if mine is None:
            mine = _POOLS[threading.get_ident()] = _Pool(
                token, WorkerPool(job, jobs=1, call_timeout=call_timeout))
        return mine


def release_pools(token: str) -> None:
    """Run on each Dask worker when a sweep ends: stop its idle supervised workers (a
    task of the sweep that still runs, cancelled, keeps its own until the next sweep)."""
    with _POOLS_LOCK:
        for thread, entry in list(_POOLS.items()):
            if entry.token == token and entry.busy.acquire(blocking=False):
                try:
                    entry.pool.close(kill=True)
                    del _POOLS[thread]
                finally:
                    entry.busy.release()


def warm_worker() -> bool:
    """Run on each Dask worker as a sweep connects: start the fork server (it imports torch)
    while the first tasks travel. Whether the worker is daemonic (and cannot check)."""
    if multiprocessing.current_process().daemon:
        return True
    warm_up()
    return False


def check_block(job: WorkerJob, token: str, lo: int, hi: int, call_timeout: float,
                max_failures: int) -> tuple[list[ChunkOutcome | ChunkFailure], str]:
    """A Dask task: the results of chunks ``[lo, hi)``, and why it could not go on ("" if it did).

    Runs on a Dask worker. The chunks are checked by the supervised worker
    process this Dask worker thread keeps for the sweep ``token`` (started
    by its first task, replaced when the target kills it or hangs); the
    task stops after ``max_failures`` failed chunks (the rest stay
    unchecked, not failed). A target that cannot be loaded is a message, not
    an exception, so that Dask does not retry what cannot work.
    """
    if multiprocessing.current_process().daemon:
        return [], f"a sweep worker could not start: its Dask worker is daemonic, {_DAEMONIC}"
    entry = _pool_of_this_thread(job, token, call_timeout)
    results: list[ChunkOutcome | ChunkFailure] = []
    failed = 0
    with entry.busy:
        chunks = entry.pool.check(iter(range(lo, hi)))
        try:
            for result in chunks:
                results.append(result)
                failed += isinstance(result, ChunkFailure)
                if failed >= max_failures:
                    break
        except WorkerStartError as exc:
            return results, str(exc)
        finally:
            chunks.close()
    return results, ""


def task_blocks(todo: ChunkRanges, *, chunk_size: int, threads: int,
                task_chunks: int | None = None) -> Iterator[tuple[int, int]]:
    """``todo`` cut into blocks ``[lo, hi)`` of consecutive chunks, one per task.

    ``task_chunks`` chunks each if given, else as many as make ``TASK_PATTERNS``
    patterns, but no more than leave ``TASKS_PER_THREAD`` tasks per thread.
    """
    if task_chunks is None:
        by_size = max(1, TASK_PATTERNS // chunk_size)
        by_balance = max(1, math.ceil(len(todo) / (TASKS_PER_THREAD * max(1, threads))))
        task_chunks = min(by_size, by_balance)
    for lo, hi in todo.ranges():
        for first in range(lo, hi, task_chunks):
            yield first, min(first + task_chunks, hi)


class DaskEngine:
    """A connection to a Dask cluster: ``"local"`` starts a ``LocalCluster`` of ``workers``
    single-threaded worker processes on this machine; else ``scheduler`` is the address of
    a running scheduler (``tcp://host:8786``)."""

    def __init__(self, scheduler: str, *, workers: int | None = None):
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(
                "--scheduler needs Dask: pip install 'tensor-quant-conformance[dask]' "
                "(dask[distributed])."
            ) from None
        self.cluster = None
        if scheduler == "local":
            from .run import default_jobs

            with dask.config.set({"distributed.worker.daemon": False}):
                self.cluster = LocalCluster(
                    n_workers=workers or default_jobs(), threads_per_worker=1, processes=True,
                    dashboard_address=":0",
                )
            self.client = Client(self.cluster)
            self.name = f"Dask LocalCluster of {len(self.cluster.workers)} workers"
        else:
            try:
                self.client = Client(scheduler, timeout=_CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(
                    f"cannot reach a Dask scheduler at {scheduler!r} ({exc}); start one with "
                    "`dask scheduler` and give its address (tcp://HOST:8786), or use "
                    "--scheduler local."
                ) from None
            try:
                self.client.wait_for_workers(1, timeout=_WORKERS_TIMEOUT_S)
            except TimeoutError:
                self.close()
                raise UsageError(
                    f"the Dask scheduler at {scheduler} has no workers after "
                    f"{_WORKERS_TIMEOUT_S} s; start some with `dask worker {scheduler}`."
                ) from None
            self.name = f"Dask scheduler {scheduler}"
        answers = self.client.run(warm_worker, on_error="return")
        daemonic = [w for w, d in answers.items() if d is True]
        if daemonic:
            self.close()
            raise UsageError(f"{len(daemonic)} of the cluster's {len(answers)} workers (first "
                             f"{daemonic[0]}) are daemonic processes, {_DAEMONIC}.")

    @property
    def dashboard(self) -> str:
        """The link to Dask's dashboard ("" where the scheduler serves none)."""
        try:
            return self.client.dashboard_link or ""
        except (KeyError, AttributeError):
            return ""

    def threads(self) -> int:
        return sum(self.client.nthreads().values())

    def check_chunks(self, job: WorkerJob, todo: ChunkRanges, *, call_timeout: float,
                     max_failures: int, task_chunks: int | None = None,
                     ) -> Iterator[ChunkOutcome | ChunkFailure]:
        """Each chunk's outcome or failure, task by task as they finish.

        A few tasks per worker thread are in flight at a time (new workers
        get work as they join); closing the generator cancels them. Raises
        ``WorkerStartError`` when a worker cannot load the target, and
        ``ClusterError`` when a task cannot be run.
        """
        from distributed import as_completed

        blocks = task_blocks(todo, chunk_size=job.plan.chunk_size, threads=self.threads(),
                             task_chunks=task_chunks)
        run = uuid.uuid4().hex[:8]
        pending = as_completed()
        # the job (the plan: every configuration) travels once to each worker, not with each
        # task; a worker that joins later fetches it from another
        shared = self.client.scatter(job, broadcast=True, hash=False)

        def top_up() -> None:
            """Tasks in flight: two per worker thread, so that none waits for the next."""
            wanted = 2 * self.threads()
            while pending.count() < wanted:
                block = next(blocks, None)
                if block is None:
                    return
                lo, hi = block
                pending.add(self.client.submit(
                    check_block, shared, run, lo, hi, call_timeout, max_failures,
                    key=f"sweep-chunks-{lo}-{hi}-{run}", retries=RETRIES, pure=False))

        top_up()
        try:
            for future in pending:
                try:
                    results, broken = future.result()
                except Exception as exc:  # KilledWorker, or raised RETRIES + 1 times
                    raise ClusterError(
                        f"Dask could not run {future.key} ({type(exc).__name__}: {exc})"
                    ) from None
                if broken:
                    raise WorkerStartError(broken)
                yield from results
                top_up()
        finally:
            futures = list(pending.futures)
            pending.clear()
            with contextlib.suppress(Exception):  # best effort: the cluster may be gone
                if futures:
                    self.client.cancel(futures)
                self.client.run(release_pools, run, on_error="ignore")

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
