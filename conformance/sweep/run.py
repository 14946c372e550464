"""Exhaustive sweeps: every input pattern of a dtype, every core, bounded memory.

Sampling finds most bugs; a sweep proves their absence for the
configurations it covers. ``run_sweep`` checks the chunks of a
``SweepPlan`` (see ``conformance.sweep.plan``) in worker processes, one
torch thread each (processes, not threads: the reference is NumPy and
holds the GIL between operations), in chunk order so that "every chunk
before K passed" is a true statement the resume file can record.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import time

from ..errors import UsageError
from ..targets import load_target, semantics_for
from .check import ChunkChecker
from .judge import ChunkOutcome
from .plan import Shard, SweepPlan
from .resume import ResumeState, load_resume, save_resume

__all__ = ["SweepReport", "default_jobs", "run_sweep"]

_SAVE_EVERY_S = 2.0
_CHECKER: ChunkChecker | None = None  # one per worker process


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclasses.dataclass(frozen=True)
class SweepReport:
    """The verdict of one sweep (or one shard of it)."""

    target: str
    plan: SweepPlan
    shard: Shard
    first_chunk: int  # the first chunk this run checked (after resuming)
    end_chunk: int  # one past the last chunk of the shard
    chunks_done: int  # chunks checked by this run
    inputs: int  # inputs checked, this run and the runs it resumed
    mismatch_count: int
    mismatches: tuple  # the first mismatches: SweepMismatch, or dicts from a resume file
    seconds: float  # this run's wall time
    run_inputs: int = 0  # inputs checked by this run alone
    interrupted: bool = False
    device: str = "cpu"

    def to_json(self) -> dict:
        """The report as JSON data (``sweep --json``)."""
        return {
            "target": self.target,
            "device": self.device,
            "dtype": self.plan.dtype,
            "configurations": len(self.plan.configs),
            "chunk_size": self.plan.chunk_size,
            "shard": str(self.shard),
            "first_chunk": self.first_chunk,
            "chunks_done": self.chunks_done,
            "end_chunk": self.end_chunk,
            "inputs": self.inputs,
            "run_inputs": self.run_inputs,
            "seconds": self.seconds,
            "inputs_per_second": self.inputs_per_second,
            "mismatch_count": self.mismatch_count,
            "mismatches": [m.as_dict() if hasattr(m, "as_dict") else m for m in self.mismatches],
            "passed": self.passed,
        }

    @property
    def passed(self) -> bool:
        return self.mismatch_count == 0 and not self.interrupted

    @property
    def inputs_per_second(self) -> float:
        return self.run_inputs / self.seconds if self.seconds else 0.0


def _make_checker(target_spec, plan, strict, keep, device="cpu") -> ChunkChecker:
    target = load_target(target_spec)
    semantics = semantics_for(target, strict=strict)
    if device == "cuda":  # one process: the GPU does the parallel work (conformance.sweep.cuda)
        from .cuda import CudaChunkChecker

        return CudaChunkChecker(target, plan, semantics=semantics, keep=keep)
    return ChunkChecker(target, plan, semantics=semantics, keep=keep)


def _init_worker(target_spec, plan, strict, keep):
    global _CHECKER
    import signal

    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it saves and stops

    torch.set_num_threads(1)  # parallelism comes from the processes
    _CHECKER = _make_checker(target_spec, plan, strict, keep)


def _check_in_worker(number: int) -> ChunkOutcome:
    return _CHECKER.check(number)


@contextlib.contextmanager
def _outcomes(target_spec, plan, strict, keep, numbers, jobs, device="cpu"):
    """Chunk outcomes in chunk order, from ``jobs`` processes (or this one)."""
    if device == "cuda":
        checker = _make_checker(target_spec, plan, strict, keep, device)
        yield (checker.check(n) for n in numbers)
        return
    if jobs == 1:
        import torch

        checker = _make_checker(target_spec, plan, strict, keep)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # small tensors: thread hand-offs cost more than they give
        try:
            yield (checker.check(n) for n in numbers)
        finally:
            torch.set_num_threads(threads)
        return
    ctx = multiprocessing.get_context("spawn")  # fork after importing torch is unsafe
    with ctx.Pool(jobs, initializer=_init_worker,
                  initargs=(target_spec, plan, strict, keep)) as pool:
        yield pool.imap(_check_in_worker, numbers)


def _progress(enabled: bool, total: int, label: str):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("chunks"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=Console(stderr=True), disable=not enabled, transient=False,
    ), label


def run_sweep(target_spec: str, plan: SweepPlan, *, jobs: int | None = None,
              shard: Shard | None = None, start_chunk: int = 0, resume: str | None = None,
              strict: bool = False, keep: int = 10, fail_fast: bool = False,
              progress: bool = True, device: str = "cpu") -> SweepReport:
    """Check the chunks of ``plan`` in ``shard`` from ``start_chunk`` on.

    ``resume`` names a JSON file that records progress every few seconds
    and, if it exists, says where to continue (the later of it and
    ``start_chunk``). ``keep`` bounds the mismatches kept for the report;
    all are counted. ``device="cuda"`` checks on the GPU in this process
    (``conformance.sweep.cuda``). Raises UsageError for arguments that make no sense.
    """
    shard = shard or Shard()
    target = load_target(target_spec)  # a bad target is a usage error here, not in a worker
    if device != "cpu":
        from .cuda import check_cuda_sweep

        check_cuda_sweep(target, plan, device, jobs)
        jobs = 1
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}.")
    total = plan.chunk_count
    if not 0 <= start_chunk < total:
        raise UsageError(
            f"--start-chunk must lie in [0, {total}) (this sweep has {total} chunks), "
            f"got {start_chunk}."
        )
    lo, hi = shard.block(total)
    if start_chunk >= hi > lo:  # (an empty shard, N > chunks, is fine: nothing to do)
        raise UsageError(
            f"--start-chunk {start_chunk} lies past shard {shard}, which holds chunks "
            f"[{lo}, {hi}); give a smaller chunk or another shard."
        )
    identity = {"target": target_spec, "strict": strict, "shard": str(shard), **plan.identity()}
    state = load_resume(resume, identity) if resume else None
    first = max(lo, start_chunk, state.next_chunk if state else 0)
    inputs = state.inputs if state else 0
    count = state.mismatch_count if state else 0
    found = list(state.mismatches) if state else []
    run_inputs = done = 0
    interrupted = False
    began = last_save = time.perf_counter()

    def save(complete=False):
        if resume:
            save_resume(resume, ResumeState(
                identity, first + done, inputs, count,
                tuple(m if isinstance(m, dict) else m.as_dict() for m in found), complete,
            ))

    bar, label = _progress(progress, hi - first, f"sweep {plan.dtype} {target_spec}")
    try:
        with bar, _outcomes(target_spec, plan, strict, keep, range(first, hi),
                            min(jobs, max(1, hi - first)), device) as outcomes:
            task = bar.add_task(label, total=hi - first)
            for outcome in outcomes:
                done += 1
                inputs += outcome.inputs
                run_inputs += outcome.inputs
                count += outcome.mismatch_count
                found += outcome.mismatches[: max(0, keep - len(found))]
                bar.update(task, advance=1, description=f"{label} ({count} mismatches)"
                           if count else label)
                if time.perf_counter() - last_save > _SAVE_EVERY_S:
                    save()
                    last_save = time.perf_counter()
                if fail_fast and count:
                    break
    except KeyboardInterrupt:
        interrupted = True
    save(complete=first + done >= hi)
    return SweepReport(
        target=target_spec, plan=plan, shard=shard, first_chunk=first, end_chunk=hi,
        chunks_done=done, inputs=inputs, mismatch_count=count, mismatches=tuple(found),
        seconds=time.perf_counter() - began, interrupted=interrupted, run_inputs=run_inputs,
        device=device,
    )
