"""The ``ci`` run of the ``torch`` target: supervised in one or two processes, or in process.

    python benchmarks/bench_ci_run.py --repeats 3
    python benchmarks/bench_ci_run.py --repeats 5 --mode jobs-1 --mode jobs-2

Runs ``python -m conformance run --target torch --profile ci`` in each mode
(``jobs-1``: one supervised process, ``jobs-2``: the properties split over two,
``in-process``), interleaved so that a change in the machine's load falls on
all alike, and prints the median wall time and the median CPU time (the
command's and its children's) of each, with the load average at each run.
Writes ``benchmarks/results/ci-run-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODES = {"jobs-1": ["--jobs", "1"], "jobs-2": ["--jobs", "2"], "in-process": ["--in-process"]}


def _once(extra) -> dict:
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "conformance", "run", "--target", "torch",
                           "--profile", "ci", *extra], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + \
        (after.children_system - before.children_system)
    return {"exit": done.returncode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "load": os.getloadavg()[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mode", action="append", choices=sorted(MODES),
                        help="repeatable; default: every mode")
    args = parser.parse_args()
    runs = {mode: [] for mode in (args.mode or MODES)}
    for _ in range(args.repeats):
        for mode in runs:
            runs[mode].append(_once(MODES[mode]))
            print(mode, runs[mode][-1], flush=True)
    summary = {mode: {"median_wall_s": statistics.median(r["wall_s"] for r in rs),
                      "median_cpu_s": statistics.median(r["cpu_s"] for r in rs), "runs": rs}
               for mode, rs in runs.items()}
    for mode, s in summary.items():
        print(f"{mode}: median {s['median_wall_s']:.1f} s wall, {s['median_cpu_s']:.1f} s CPU")
    out = ROOT / "benchmarks" / "results" / time.strftime("ci-run-%Y%m%dT%H%M%SZ.json",
                                                          time.gmtime())
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out}")
    return 0 if all(r["exit"] == 0 for rs in runs.values() for r in rs) else 1


if __name__ == "__main__":
    sys.exit(main())
