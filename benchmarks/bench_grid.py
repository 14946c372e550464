"""Benchmark of grid sweeps: this machine's worker pool against a Dask LocalCluster (a script).

The same grids are checked by four engines, in this process through
``run_sweep`` so that a cluster's start is timed apart from its sweeps:

* ``local-1``, ``local-2``: the local pool of 1 and 2 worker processes
  (``sweep --jobs J``);
* ``dask-1``, ``dask-2``: a Dask ``LocalCluster`` of 1 and 2 single-thread
  workers (``sweep --scheduler local --jobs J``).

Grids: ``float16``, the default float16 grid restricted to num_bits 4 and
8 (signed and unsigned, narrow and full, amax as float32 and float16, the
default amax values: a few hundred configurations, one chunk of 65,536
inputs each: many small chunks, where Dask's cost per task shows), and
``float32``, a shard of ``--float32-chunks`` chunks of 2**20 inputs (the
values just below 2.0) of a 4-configuration float32 grid (num_bits 4 and
8, amax 1.0 and 0.0123; large chunks, as a real float32 grid has).

Each cluster does one sweep first (timed as ``cold``: its workers' fork
servers import torch), then the engines take turns, run after run, so that
whatever else loads the machine loads them alike; the overhead of Dask is
the ratio dask-J / local-J of each turn, reported as the median, in wall
time and in CPU time (``measure.CpuMeter``: on a shared machine the CPU time is the
steadier figure, and inputs per CPU second is what a dedicated core would
check). Also measured: the chunk checker alone in this process (the
steady rate of one worker, no engine), Dask's cost per task (the same float16 grid in
1-chunk tasks and in the default tasks, on dask-2) and each cluster's
start.

Writes ``benchmarks/results/<host>-grid-<date>.json`` and prints a table.
Usage: ``python benchmarks/bench_grid.py [--repeats 3] [--float32-chunks 64]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.measure import CpuMeter, checker_rate  # noqa: E402
from conformance.sweep import Grid, Shard, grid_plan, run_sweep  # noqa: E402
from conformance.sweep.dask_engine import DaskEngine, task_blocks  # noqa: E402
from conformance.sweep.ranges import ChunkRanges  # noqa: E402

TARGET = "torch"


def grids(float32_chunks: int) -> dict:
    """name -> (plan, shard). The float32 shard is the block of ``float32_chunks`` chunks
    that ends at 2.0 in the second configuration: ordinary values, below 2.0."""
    if float32_chunks & (float32_chunks - 1) or not 1 <= float32_chunks <= 1024:
        raise SystemExit("--float32-chunks must be a power of two up to 1024")
    f16 = grid_plan("float16", [Grid(num_bits=(4, 8))], chunk_size=1 << 16)
    f32 = grid_plan("float32", [Grid(num_bits=(4, 8), amaxes=(1.0, 0.0123))],
                    chunk_size=1 << 20)
    lo = f32.chunks_per_config + 0x400 - float32_chunks  # chunk 0x400 starts at 2.0
    return {"float16": (f16, Shard()),
            "float32": (f32, Shard(lo // float32_chunks + 1, f32.chunk_count // float32_chunks))}


def sweep(plan, shard: Shard, *, jobs: int, scheduler: str | None = None,
          task_chunks: int | None = None) -> dict:
    with CpuMeter() as cpu:
        report = run_sweep(TARGET, plan, jobs=None if scheduler else jobs, shard=shard,
                           progress=False, scheduler=scheduler, task_chunks=task_chunks)
    assert report.passed, report.verdict  # the torch target conforms: a sweep must pass
    return {"seconds": report.seconds, "cpu_seconds": cpu.seconds,
            "inputs": report.run_inputs, "chunks": report.run_chunks}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--float32-chunks", type=int, default=64)
    parser.add_argument("--output", help="JSON path (default benchmarks/results/<host>-grid-<date>.json)")
    args = parser.parse_args(argv)

    now = datetime.datetime.now(datetime.timezone.utc)
    plans = grids(args.float32_chunks)
    results = {
        "date": now.isoformat(timespec="seconds"),
        "host": platform.node(),
        "cores": len(os.sched_getaffinity(0)),
        "load_average_at_start": os.getloadavg(),
        "repeats": args.repeats,
        "target": TARGET,
        "grids": {name: {"configurations_swept": len({plan.chunk(n)[0] for n in range(
                             *shard.block(plan.chunk_count))}),
                         "chunks": len(range(*shard.block(plan.chunk_count))),
                         "first_chunk": shard.block(plan.chunk_count)[0],
                         "chunk_size": plan.chunk_size}
                  for name, (plan, shard) in plans.items()},
        "clusters": {},
        "checker_alone": {name: checker_rate(TARGET, plan, shard)
                          for name, (plan, shard) in plans.items()},
        "runs": {},
    }
    engines: dict[str, dict] = {"local-1": {"jobs": 1}, "local-2": {"jobs": 2}}
    clusters = []
    try:
        for workers in (1, 2):
            began = time.perf_counter()
            cluster = DaskEngine("local", workers=workers)
            clusters.append(cluster)
            address = cluster.cluster.scheduler_address
            started = time.perf_counter() - began
            plan, _ = plans["float32"]
            cold = sweep(plan, Shard(plan.chunk_count // 2, plan.chunk_count // 2), jobs=workers,
                         scheduler=address)  # the last 2 chunks
            results["clusters"][f"dask-{workers}"] = {
                "start_seconds": started, "cold_sweep_seconds": cold["seconds"],
                "cold_sweep_chunks": cold["chunks"]}
            engines[f"dask-{workers}"] = {"jobs": workers, "scheduler": address}
        for name, (plan, shard) in plans.items():
            runs = results["runs"][name] = {engine: [] for engine in engines}
            runs["dask-2, 1-chunk tasks"] = [] if name == "float16" else None
            for repeat in range(args.repeats):
                for engine, kwargs in engines.items():
                    runs[engine].append(sweep(plan, shard, **kwargs))
                    print(f"{name} {engine} run {repeat + 1}: {runs[engine][-1]['seconds']:.2f} s",
                          flush=True)
                if name == "float16":
                    runs["dask-2, 1-chunk tasks"].append(
                        sweep(plan, shard, task_chunks=1, **engines["dask-2"]))
            if runs["dask-2, 1-chunk tasks"] is None:
                del runs["dask-2, 1-chunk tasks"]
    finally:
        for cluster in clusters:
            cluster.close()
    results["load_average_at_end"] = os.getloadavg()
    results["summary"] = summarize(results, plans)

    path = args.output or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results",
        f"{platform.node() or 'host'}-grid-{now:%Y%m%dT%H%M%SZ}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    print(table(results))
    print(f"written to {path}")
    return 0


def summarize(results: dict, plans: dict) -> dict:
    """Medians, the per-turn ratios dask-J / local-J, Dask's cost per task."""
    summary = {}
    for name, runs in results["runs"].items():
        plan, shard = plans[name]
        lo, hi = shard.block(plan.chunk_count)
        inputs = runs["local-1"][0]["inputs"]
        medians = {e: statistics.median(r["seconds"] for r in rs) for e, rs in runs.items()}
        cpu = {e: statistics.median(r["cpu_seconds"] for r in rs) for e, rs in runs.items()}
        s = summary[name] = {
            "inputs": inputs,
            "median_seconds": medians,
            "inputs_per_s": {e: inputs / t for e, t in medians.items()},
            "median_cpu_seconds": cpu,
            # what one dedicated core checks per second: the rate of the scaling model
            "inputs_per_cpu_second": {e: inputs / t for e, t in cpu.items()},
        }
        for j in (1, 2):
            for measure, key in (("seconds", ""), ("cpu_seconds", "_cpu")):
                turns = [d[measure] / lo[measure] for d, lo in zip(
                    runs[f"dask-{j}"], runs[f"local-{j}"], strict=True)]
                s[f"dask_over_local_{j}_workers{key}"] = statistics.median(turns)
                s[f"dask_over_local_{j}_workers{key}_all_turns"] = turns
        s["speedup_2_over_1_workers"] = {
            "local": medians["local-1"] / medians["local-2"],
            "dask": medians["dask-1"] / medians["dask-2"]}
        s["dask_tasks_default"] = sum(1 for _ in task_blocks(
            ChunkRanges([(lo, hi)]), chunk_size=plan.chunk_size, threads=2))
        if "dask-2, 1-chunk tasks" in runs:
            more = hi - lo - s["dask_tasks_default"]
            s["dask_cpu_seconds_per_task"] = (
                cpu["dask-2, 1-chunk tasks"] - cpu["dask-2"]) / more
            # two workers share the wall time of the extra tasks
            s["dask_seconds_per_task_per_worker"] = (
                medians["dask-2, 1-chunk tasks"] - medians["dask-2"]) / more * 2
    return summary


def table(results: dict) -> str:
    lines = ["| grid | engine | median s | inputs/s | median CPU s | inputs/CPU s | "
             "dask / local, wall (CPU) |", "|---|---|---|---|---|---|---|"]
    for name, s in results["summary"].items():
        for engine, seconds in s["median_seconds"].items():
            j = engine.split("-")[1][:1] if engine.startswith("dask-") else ""
            ratio = (f"{s[f'dask_over_local_{j}_workers']:.2f} "
                     f"({s[f'dask_over_local_{j}_workers_cpu']:.2f})"
                     if j and "," not in engine else "")
            lines.append(f"| {name} | {engine} | {seconds:.2f} | "
                         f"{s['inputs_per_s'][engine] / 1e6:,.1f} M | "
                         f"{s['median_cpu_seconds'][engine]:.2f} | "
                         f"{s['inputs_per_cpu_second'][engine] / 1e6:,.1f} M | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
