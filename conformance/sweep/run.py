"""Exhaustive sweeps: every input pattern of a dtype, every core, bounded memory.

Sampling finds most bugs; a sweep proves their absence for the
configurations it covers, and only for the chunks it checked. ``run_sweep``
checks the chunks of a ``SweepPlan`` (see ``conformance.sweep.plan``) in
worker processes (``conformance.sweep.workers``: a chunk whose worker dies
or hangs fails, the sweep goes on) and keeps the exact set of chunks it
checked (``conformance.sweep.ranges``). Its verdict:

* FAIL: a mismatch, or a chunk that failed (its worker died, a call hung,
  or the target raised SystemExit / KeyboardInterrupt);
* INCOMPLETE: no mismatch, but some chunk of the requested range was not
  checked (interrupted, stopped early, or a worker could not start);
* PASS: every chunk of the requested range was checked, with no mismatch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time

from ..calls import DEFAULT_CALL_TIMEOUT
from ..errors import UsageError
from ..targets import load_target, semantics_for
from .errors import SweepArgumentError
from .judge import ChunkFailure, SweepMismatch
from .plan import Shard, SweepPlan
from .ranges import ChunkRanges
from .resume import ResumeState, load_resume, save_resume
from .workers import WorkerJob, WorkerStartError, check_chunks, warm_up

__all__ = ["SweepReport", "default_jobs", "run_sweep"]

_SAVE_EVERY_S = 2.0
#: A sweep stops after this many failed chunks in one run (a target that dies on every
#: chunk would otherwise cost a worker per chunk, or a timeout per chunk when it hangs).
MAX_FAILURES = 10


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclasses.dataclass(frozen=True)
class SweepReport:
    """The verdict of one sweep (or one shard of it) over the chunks ``[start, end)``."""

    target: str
    plan: SweepPlan
    shard: Shard
    start: int  # the requested chunks: [start, end)
    end: int
    checked: ChunkRanges  # chunks checked, by this run and the runs it resumed
    failures: tuple[ChunkFailure, ...]  # chunks that could not be checked, with the cause
    inputs: int  # inputs checked, this run and the runs it resumed
    mismatch_count: int
    mismatches: tuple[SweepMismatch, ...]  # the first few, in chunk order
    seconds: float  # this run's wall time
    run_chunks: int = 0  # chunks checked by this run alone
    run_inputs: int = 0  # inputs checked by this run alone
    interrupted: bool = False
    stopped: str = ""  # why this run stopped before its last chunk ("" if it did not)
    device: str = "cpu"

    @property
    def covered(self) -> ChunkRanges:
        """The requested chunks that were checked."""
        return self.checked.within(self.start, self.end)

    @property
    def missing(self) -> ChunkRanges:
        """The requested chunks that were not checked (failed ones included)."""
        return self.checked.missing(self.start, self.end)

    @property
    def verdict(self) -> str:
        if self.mismatch_count or self.failures:
            return "FAIL"
        return "INCOMPLETE" if len(self.missing) or self.interrupted else "PASS"

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    @property
    def inputs_per_second(self) -> float:
        return self.run_inputs / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        """The report as JSON data (``sweep --json``): chunk sets as ``[lo, hi)`` pairs."""
        return {
            "target": self.target,
            "device": self.device,
            "dtype": self.plan.dtype,
            "configurations": len(self.plan.configs),
            "chunk_size": self.plan.chunk_size,
            "chunk_count": self.plan.chunk_count,
            "shard": str(self.shard),
            "requested": [self.start, self.end],
            "checked": [list(r) for r in self.covered.ranges()],
            "missing": [list(r) for r in self.missing.ranges()],
            "chunks_checked": len(self.covered),
            "run_chunks": self.run_chunks,
            "failures": [dataclasses.asdict(f) for f in self.failures],
            "inputs": self.inputs,
            "run_inputs": self.run_inputs,
            "seconds": self.seconds,
            "inputs_per_second": self.inputs_per_second,
            "mismatch_count": self.mismatch_count,
            "mismatches": [m.as_dict() for m in self.mismatches],
            "stopped": self.stopped,
            "verdict": self.verdict,
            "passed": self.passed,
        }


def _progress(enabled: bool, label: str):
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


def _requested(plan: SweepPlan, shard: Shard, start_chunk: int) -> tuple[int, int]:
    """The chunks ``[start, end)`` a sweep of ``shard`` from ``start_chunk`` must check."""
    total = plan.chunk_count
    if not isinstance(start_chunk, int) or not 0 <= start_chunk < total:
        raise SweepArgumentError("start_chunk", f"in [0, {total}) (this sweep has {total} "
                                 "chunks)", start_chunk)
    lo, hi = shard.block(total)
    if start_chunk >= hi > lo:  # (an empty shard, N > chunks, is fine: nothing to do)
        raise SweepArgumentError(
            "start_chunk", f"below {hi}, the end of shard {shard} (chunks [{lo}, {hi}))",
            start_chunk, hint="Give a smaller chunk or another shard.")
    return max(lo, start_chunk), hi


def _check_numbers(jobs, call_timeout) -> None:
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise SweepArgumentError("jobs", "at least 1", jobs)
    if (isinstance(call_timeout, bool) or not isinstance(call_timeout, (int, float))
            or not math.isfinite(call_timeout) or call_timeout <= 0):
        raise SweepArgumentError("call_timeout", "a finite number of seconds > 0", call_timeout)


def run_sweep(target_spec: str, plan: SweepPlan, *, jobs: int | None = None,
              shard: Shard | None = None, start_chunk: int = 0, resume: str | None = None,
              strict: bool = False, keep: int = 10, fail_fast: bool = False,
              progress: bool = True, device: str = "cpu",
              call_timeout: float = DEFAULT_CALL_TIMEOUT) -> SweepReport:
    """Check the chunks of ``plan`` in ``shard`` from ``start_chunk`` on, in worker processes.

    ``resume`` names a JSON file that records every few seconds exactly which
    chunks are checked and, if it exists, which need not be checked again.
    ``keep`` bounds the mismatches kept for the report; all are counted.
    ``call_timeout``: seconds one call (of the target or the reference) may
    take before its chunk fails as hung. ``device="cuda"`` checks on the GPU
    in one worker (``conformance.sweep.cuda``). ``fail_fast`` stops after the
    first chunk with a mismatch or a failure. Raises UsageError (naming the
    argument) for arguments that make no sense, before any work.
    """
    shard = shard or Shard()
    _check_numbers(jobs, call_timeout)
    start, end = _requested(plan, shard, start_chunk)
    warm_up()  # the fork server imports torch while this process loads the target
    target = load_target(target_spec)  # a bad target is a usage error here, not in a worker
    if device not in target.devices:
        raise UsageError(f"target {target.spec!r} runs on {', '.join(target.devices)}, "
                         f"not {device}.")
    if device == "cuda":
        from .cuda import check_cuda_sweep

        check_cuda_sweep(target, plan, jobs)
        jobs = 1
    semantics = semantics_for(target, strict=strict)
    identity = {"target": target_spec, "strict": strict, "shard": str(shard), **plan.identity()}
    state = (load_resume(resume, identity) if resume else None) or ResumeState(identity)

    checked = ChunkRanges(state.done.ranges())
    failures = list(state.failures)
    inputs, count, found = state.inputs, state.mismatch_count, list(state.mismatches)
    judged = ChunkRanges(checked.ranges())
    for failure in failures:
        judged.add(failure.chunk)  # a failed chunk stays failed (see conformance.sweep.resume)
    todo = judged.missing(start, end)
    run_chunks = run_inputs = 0
    interrupted, stopped = False, ""
    began = last_save = time.perf_counter()

    def save():
        if resume:
            save_resume(resume, ResumeState(identity, checked, tuple(failures), inputs, count,
                                            tuple(found)))

    job = WorkerJob(target_spec, plan, semantics, keep, device, tuple(sys.path))
    bar, label = _progress(progress, f"sweep {plan.dtype} {target_spec}")
    try:
        with bar, contextlib.closing(check_chunks(
                job, todo.numbers(), jobs=min(jobs or default_jobs(), max(1, len(todo))),
                call_timeout=call_timeout)) as results:
            task = bar.add_task(label, total=len(todo))
            for result in results:
                if isinstance(result, ChunkFailure):
                    failures.append(result)
                else:
                    checked.add(result.chunk)
                    run_chunks += 1
                    inputs += result.inputs
                    run_inputs += result.inputs
                    count += result.mismatch_count
                    found = sorted(found + list(result.mismatches[:keep]),
                                   key=lambda m: m.chunk)[:keep]
                bar.update(task, advance=1, description=f"{label} ({count} mismatches, "
                           f"{len(failures)} failed chunks)" if count or failures else label)
                if time.perf_counter() - last_save > _SAVE_EVERY_S:
                    save()
                    last_save = time.perf_counter()
                if fail_fast and (isinstance(result, ChunkFailure) or result.mismatch_count):
                    stopped = "stopped at the first bad chunk (fail-fast)"
                    break
                if len(failures) - len(state.failures) >= MAX_FAILURES:
                    stopped = f"stopped after {MAX_FAILURES} failed chunks"
                    break
    except WorkerStartError as exc:
        stopped = str(exc)
    except KeyboardInterrupt:
        interrupted, stopped = True, "interrupted"
    save()
    return SweepReport(
        target=target_spec, plan=plan, shard=shard, start=start, end=end, checked=checked,
        failures=tuple(sorted(failures, key=lambda f: f.chunk)), inputs=inputs,
        mismatch_count=count, mismatches=tuple(found), seconds=time.perf_counter() - began,
        run_chunks=run_chunks, run_inputs=run_inputs, interrupted=interrupted, stopped=stopped,
        device=device,
    )
