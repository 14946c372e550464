"""Exhaustive sweeps: every input pattern of a dtype, every core, bounded memory.

Sampling finds most bugs; a sweep proves their absence for the
configurations it covers, and only for the chunks it checked. ``run_sweep``
checks the chunks of a ``SweepPlan`` (see ``conformance.sweep.plan``; a grid
of configurations from ``conformance.sweep.grid``) in worker processes
(``conformance.sweep.workers``: a chunk whose worker dies or hangs fails,
the sweep goes on), on this machine or, with ``scheduler``, on a Dask
cluster (``conformance.sweep.dask_engine``). Either way the results are
folded by one ``Ledger`` (each chunk counted once), kept in one resume
file, and judged by one rule (``conformance.sweep.report``).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time

from ..calls import DEFAULT_CALL_TIMEOUT
from ..errors import UsageError
from ..targets import load_target, semantics_for
from .dask_engine import ClusterError
from .errors import SweepArgumentError
from .functions import sweep_function
from .judge import ChunkFailure
from .ledger import Ledger
from .plan import Shard, SweepPlan
from .progress import SweepProgress
from .report import SweepReport
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


def _check_numbers(jobs, call_timeout, task_chunks) -> None:
    for name, value in (("jobs", jobs), ("task_chunks", task_chunks)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise SweepArgumentError(name, "at least 1", value)
    if (isinstance(call_timeout, bool) or not isinstance(call_timeout, (int, float))
            or not math.isfinite(call_timeout) or call_timeout <= 0):
        raise SweepArgumentError("call_timeout", "a finite number of seconds > 0", call_timeout)


def _check_engine(scheduler, jobs, task_chunks, device) -> None:
    if scheduler is None:
        if task_chunks is not None:
            raise SweepArgumentError("task_chunks", "left out without a Dask scheduler (it "
                                     "sizes Dask tasks)", task_chunks)
        return
    if not isinstance(scheduler, str) or not scheduler:
        raise SweepArgumentError("scheduler", '"local" or a Dask scheduler address '
                                 "(tcp://HOST:8786)", scheduler)
    if device != "cpu":
        raise SweepArgumentError("scheduler", "left out with device cuda (a GPU sweep runs "
                                 "in one process on this machine's GPU)", scheduler)
    if jobs is not None and scheduler != "local":
        raise SweepArgumentError("jobs", "left out with a scheduler address (the cluster's "
                                 "workers decide; jobs sizes the local pool or "
                                 "scheduler='local')", jobs)


def run_sweep(target_spec: str, plan: SweepPlan, *, jobs: int | None = None,
              shard: Shard | None = None, start_chunk: int = 0, resume: str | None = None,
              strict: bool = False, keep: int = 10, fail_fast: bool = False,
              progress: bool = True, device: str = "cpu",
              call_timeout: float = DEFAULT_CALL_TIMEOUT, scheduler: str | None = None,
              task_chunks: int | None = None) -> SweepReport:
    """Check the chunks of ``plan`` in ``shard`` from ``start_chunk`` on, in worker processes.

    ``plan.function`` says what is called (``conformance.sweep.functions``); a
    target without that function is a UsageError, before any work.

    ``resume`` names a JSON file that records every few seconds exactly which
    chunks are checked and, if it exists, which need not be checked again.
    ``keep`` bounds the mismatches kept for the report, per configuration;
    all are counted. ``call_timeout``: seconds one call (of the target or the
    reference) may take before its chunk fails as hung. ``device="cuda"``
    checks on the GPU in one worker (``conformance.sweep.cuda``).
    ``fail_fast`` stops after the first chunk with a mismatch or a failure.
    ``scheduler``: None checks on this machine's worker pool of ``jobs``
    processes; ``"local"`` starts a Dask ``LocalCluster`` of ``jobs``
    workers; else the address of a Dask scheduler whose workers check the
    chunks, ``task_chunks`` chunks per Dask task (default: sized by
    ``conformance.sweep.dask_engine.task_blocks``). Raises UsageError (naming
    the argument) for arguments that make no sense, before any work.
    """
    shard = shard or Shard()
    _check_numbers(jobs, call_timeout, task_chunks)
    _check_engine(scheduler, jobs, task_chunks, device)
    start, end = _requested(plan, shard, start_chunk)
    warm_up()  # the fork server imports torch while this process loads the target
    target = load_target(target_spec)  # a bad target is a usage error here, not in a worker
    if device not in target.devices:
        raise UsageError(f"target {target.spec!r} runs on {', '.join(target.devices)}, "
                         f"not {device}.")
    sweep_function(plan.function).called(target)  # UsageError naming what the target lacks
    if device == "cuda":
        from .cuda import check_cuda_sweep

        check_cuda_sweep(target, plan, jobs)
        jobs = 1
    semantics = semantics_for(target, strict=strict)
    identity = {"target": target_spec, "strict": strict, "shard": str(shard), **plan.identity()}
    state = (load_resume(resume, identity) if resume else None) or ResumeState(identity)
    ledger = Ledger(plan, keep, checked=state.done, failures=state.failures,
                    tallies=state.tallies)
    todo = ledger.judged.missing(start, end)
    with contextlib.ExitStack() as stack:
        engine = None
        if scheduler is not None and len(todo):  # (no cluster to start for nothing)
            from .dask_engine import DaskEngine

            engine = DaskEngine(scheduler, workers=jobs)
            stack.callback(engine.close)
        return _run(target_spec, plan, ledger, todo, identity, engine=engine, resume=resume,
                    jobs=jobs, shard=shard, start=start, end=end, fail_fast=fail_fast,
                    progress=progress, device=device, call_timeout=call_timeout,
                    task_chunks=task_chunks, job=WorkerJob(
                        target_spec, plan, semantics, keep, device,
                        # a Dask worker imports the target with its own sys.path
                        () if engine else tuple(sys.path)))


def _run(target_spec, plan, ledger, todo, identity, *, engine, resume, jobs, shard, start, end,
         fail_fast, progress, device, call_timeout, task_chunks, job) -> SweepReport:
    """The sweep's loop: fold each result into ``ledger``, save, show progress, stop early."""
    run_chunks = run_inputs = 0
    resumed_failures = len(ledger.failures)
    interrupted, stopped = False, ""
    began = last_save = time.perf_counter()

    def save():
        if resume:
            save_resume(resume, ResumeState(identity, ledger.checked, tuple(ledger.failures),
                                            dict(ledger.tallies)))

    if engine is None:
        jobs = min(jobs or default_jobs(), max(1, len(todo)))
        name = (f"{jobs} local worker process{'es' if jobs > 1 else ''}" if len(todo)
                else "none (nothing left to check)")
        results = check_chunks(job, todo.numbers(), jobs=jobs, call_timeout=call_timeout)
    else:
        name = engine.name
        results = engine.check_chunks(job, todo, call_timeout=call_timeout,
                                      max_failures=MAX_FAILURES, task_chunks=task_chunks)
    bar = SweepProgress(plan, todo, start=start, end=end, enabled=progress,
                        label=f"sweep {plan.function} {plan.dtype} {target_spec}")
    try:
        with bar, contextlib.closing(results):
            if engine is not None:
                bar.print(f"{engine.name}; Dask dashboard: {engine.dashboard or 'none'}")
            for result in results:
                first = result.chunk not in ledger.judged
                if not ledger.record(result):
                    continue  # judged already: counted once (conformance.sweep.ledger)
                failed = isinstance(result, ChunkFailure)
                bad = failed or bool(result.mismatch_count)
                if not failed:
                    run_chunks += 1
                    run_inputs += result.inputs
                if first:
                    bar.advance(result.chunk, 0 if failed else result.inputs,
                                ledger.mismatch_count, len(ledger.failures))
                if time.perf_counter() - last_save > _SAVE_EVERY_S:
                    save()
                    last_save = time.perf_counter()
                if fail_fast and bad:
                    stopped = "stopped at the first bad chunk (fail-fast)"
                    break
                if len(ledger.failures) - resumed_failures >= MAX_FAILURES:
                    stopped = f"stopped after {MAX_FAILURES} failed chunks"
                    break
    except (WorkerStartError, ClusterError) as exc:
        stopped = str(exc)
    except KeyboardInterrupt:
        interrupted, stopped = True, "interrupted"
    save()
    return SweepReport(
        target=target_spec, plan=plan, shard=shard, start=start, end=end,
        checked=ledger.checked, failures=tuple(sorted(ledger.failures, key=lambda f: f.chunk)),
        inputs=ledger.inputs, mismatch_count=ledger.mismatch_count,
        mismatches=ledger.mismatches, seconds=time.perf_counter() - began,
        run_chunks=run_chunks, run_inputs=run_inputs, interrupted=interrupted, stopped=stopped,
        device=device, tallies=dict(ledger.tallies), engine=name,
        dashboard=engine.dashboard if engine else "",
    )
