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
``float32``, the last ``--float32-chunks`` chunks of 2**20 inputs of a
4-configuration float32 grid (num_bits 4 and 8, amax 1.0 and 0.0123; large
chunks, as a real float32 grid has).

Each cluster does one sweep first (timed as ``cold``: its workers' fork
servers import torch), then the engines take turns, run after run, so that
whatever else loads the machine loads them alike; the overhead of Dask is
the ratio dask-J / local-J of each turn, reported as the median. Also
measured: Dask's cost per task (the same float16 grid in 1-chunk tasks and
in the default tasks, on dask-2) and each cluster's start.

Writes ``benchmarks/results/<host>-grid-<date>.json`` and prints a table.
Usage: ``python benchmarks/bench_grid.py [--repeats 3] [--float32-chunks 16]``.
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

from conformance.sweep import Grid, grid_plan, run_sweep  # noqa: E402
from conformance.sweep.dask_engine import DaskEngine, task_blocks  # noqa: E402

TARGET = "torch"


def grids(float32_chunks: int) -> dict:
    """name -> (plan, start_chunk)."""
    f16 = grid_plan("float16", [Grid(num_bits=(4, 8))], chunk_size=1 << 16)
    f32 = grid_plan("float32", [Grid(num_bits=(4, 8), amaxes=(1.0, 0.0123))],
                    chunk_size=1 << 20)
    return {"float16": (f16, 0), "float32": (f32, f32.chunk_count - float32_chunks)}


def sweep(plan, start: int, *, jobs: int, scheduler: str | None = None,
          task_chunks: int | None = None) -> dict:
    report = run_sweep(TARGET, plan, jobs=None if scheduler else jobs, start_chunk=start,
                       progress=False, scheduler=scheduler, task_chunks=task_chunks)
    assert report.passed, report.verdict  # the torch target conforms: a sweep must pass
    return {"seconds": report.seconds, "inputs": report.run_inputs,
            "chunks": report.run_chunks}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--float32-chunks", type=int, default=16)
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
                             start, plan.chunk_count)}),
                         "chunks": plan.chunk_count - start, "chunk_size": plan.chunk_size}
                  for name, (plan, start) in plans.items()},
        "clusters": {},
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
            plan, start = plans["float32"]
            cold = sweep(plan, plan.chunk_count - 2 * workers, jobs=workers, scheduler=address)
            results["clusters"][f"dask-{workers}"] = {
                "start_seconds": started, "cold_sweep_seconds": cold["seconds"],
                "cold_sweep_chunks": cold["chunks"]}
            engines[f"dask-{workers}"] = {"jobs": workers, "scheduler": address}
        for name, (plan, start) in plans.items():
            runs = results["runs"][name] = {engine: [] for engine in engines}
            runs["dask-2, 1-chunk tasks"] = [] if name == "float16" else None
            for repeat in range(args.repeats):
                for engine, kwargs in engines.items():
                    runs[engine].append(sweep(plan, start, **kwargs))
                    print(f"{name} {engine} run {repeat + 1}: {runs[engine][-1]['seconds']:.2f} s",
                          flush=True)
                if name == "float16":
                    runs["dask-2, 1-chunk tasks"].append(
                        sweep(plan, start, task_chunks=1, **engines["dask-2"]))
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
        plan, start = plans[name]
        inputs = runs["local-1"][0]["inputs"]
        medians = {e: statistics.median(r["seconds"] for r in rs) for e, rs in runs.items()}
        s = summary[name] = {
            "inputs": inputs,
            "median_seconds": medians,
            "inputs_per_s": {e: inputs / t for e, t in medians.items()},
        }
        for j in (1, 2):
            turns = [d["seconds"] / lo["seconds"] for d, lo in zip(
                runs[f"dask-{j}"], runs[f"local-{j}"], strict=True)]
            s[f"dask_over_local_{j}_workers"] = statistics.median(turns)
            s[f"dask_over_local_{j}_workers_all_turns"] = turns
        s["speedup_2_over_1_workers"] = {
            "local": medians["local-1"] / medians["local-2"],
            "dask": medians["dask-1"] / medians["dask-2"]}
        s["dask_tasks_default"] = sum(1 for _ in task_blocks(
            _todo(plan, start), chunk_size=plan.chunk_size, threads=2))
        if "dask-2, 1-chunk tasks" in runs:
            tasks = plan.chunk_count - start
            extra = medians["dask-2, 1-chunk tasks"] - medians["dask-2"]
            s["dask_seconds_per_task_2_workers"] = (
                extra / (tasks - s["dask_tasks_default"]) * 2)  # two workers share the cost
    return summary


def _todo(plan, start):
    from conformance.sweep.ranges import ChunkRanges

    return ChunkRanges([(start, plan.chunk_count)])


def table(results: dict) -> str:
    lines = ["| grid | engine | median s | inputs/s | dask / local (median of turns) |",
             "|---|---|---|---|---|"]
    for name, s in results["summary"].items():
        for engine, seconds in s["median_seconds"].items():
            j = engine.split("-")[1][:1] if engine.startswith("dask-") else ""
            ratio = f"{s[f'dask_over_local_{j}_workers']:.2f}" if j and "," not in engine else ""
            lines.append(f"| {name} | {engine} | {seconds:.2f} | "
                         f"{s['inputs_per_s'][engine] / 1e6:,.1f} M | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
