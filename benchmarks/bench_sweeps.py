"""Benchmark of the sweeps, measured in one run on one machine (a script, not a test).

Measures, each as the median of ``--repeats`` runs:

* the reference's throughput against the ``torch`` target's on the same
  10**8 float32 inputs (one thread each: NumPy is single-threaded, and the
  sweeps run one torch thread per process), for fake_tensor_quant and
  tensor_quant, and their ratio;
* the end-to-end inputs per second of each sweep (``python -m conformance
  sweep`` as a subprocess: start-up, worker start, every chunk);
* the machine's memory-copy bandwidth (NumPy copy of a 256 MiB array), the
  limit any sweep is bound by: a float32 input cannot be checked faster than
  it can be copied.

CPU seconds are those of the sweep command and every process it starts
(``benchmarks/measure.CpuMeter``: its fork server and supervised
workers, which ``RUSAGE_CHILDREN`` never saw).

Writes ``benchmarks/results/<host>-<date>.json`` and prints a table.
Usage: ``python benchmarks/bench_sweeps.py [--repeats 3] [--inputs 100000000]
[--skip-float32]``.

``--function fake_affine_tensor_quant scaled_e4m3`` instead measures those
functions' sweeps (``sweep --function``): the full default float16 and
bfloat16 grids of each, median of ``--repeats``, and the float32 sweep of
all 2**32 patterns of one configuration estimated from shards (each
``--float32-shard K/N`` is checked once, end to end; the estimate is
2**32 over the shards' inputs per second inside the sweep, whose own
start-up is paid once per sweep), and from the chunk checker alone (CPU
seconds per input in this process, one torch thread: no start-up at all).
It writes
``<host>-section6-<date>.json``; ``benchmarks/section6_sweeps.md`` reads
its figures.

``--device cuda`` instead times the GPU float32 sweep of one configuration
(``sweep --device cuda --dtype float32 --amax 1.0``, CuPy reference) against
the ``torch`` and ``cupy`` targets on cuda, end to end, and the GPU's
device-to-device copy bandwidth as the limit; it writes
``<host>-cuda-<date>.json``; with ``--function`` it times those functions'
float32 sweeps on the GPU instead (not run yet: no GPU was lent when they
were added).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.measure import CpuMeter, checker_rate  # noqa: E402

_CHUNK = 1 << 20
_AMAX = np.array(1.0, dtype=np.float32)


def _median_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def copy_bandwidth(repeats: int) -> dict:
    """NumPy copy of 256 MiB: bytes moved (read + write) per second."""
    src = np.ones(64 << 20, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in first
    seconds = _median_time(lambda: np.copyto(dst, src), repeats)
    return {
        "array_bytes": src.nbytes,
        "seconds": seconds,
        "copy_bytes_per_s": 2 * src.nbytes / seconds,
        "float32_copied_per_s": src.size / seconds,
    }


def _chunks(total: int):
    """The same pseudo-random float32 bit patterns (every class: NaN, inf, subnormal) each time."""
    rng = np.random.default_rng(0)
    done = 0
    while done < total:
        n = min(_CHUNK, total - done)
        yield rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
        done += n


def throughput(total: int, repeats: int) -> dict:
    """Reference vs torch target on the same ``total`` float32 inputs, one thread each.

    The two are timed chunk by chunk, back to back, so that whatever else
    loads the machine loads both alike; the ratio is taken per run and the
    median of the runs reported.
    """
    import torch

    import reference
    from conformance.builtin import torch_tensor_quant as target

    torch.set_num_threads(1)
    chunks = list(_chunks(total))  # generated once, outside the timings
    tensors = [torch.from_numpy(c) for c in chunks]
    amax_t = torch.tensor(1.0)
    result = {"inputs": total, "threads": 1, "interleaved_per_chunk": True}
    with np.errstate(all="ignore"):
        for name in ("fake_tensor_quant", "tensor_quant"):
            ref, tgt = getattr(reference, name), getattr(target, name)
            runs = []
            for _ in range(repeats):
                t_ref = t_tgt = 0.0
                for c, t in zip(chunks, tensors, strict=True):
                    began = time.perf_counter()
                    ref(c, _AMAX)
                    middle = time.perf_counter()
                    tgt(t, amax_t)
                    t_ref += middle - began
                    t_tgt += time.perf_counter() - middle
                runs.append((t_ref, t_tgt))
            t_ref = statistics.median(r for r, _ in runs)
            t_tgt = statistics.median(t for _, t in runs)
            result[name] = {
                "reference_inputs_per_s": total / t_ref,
                "torch_inputs_per_s": total / t_tgt,
                # >= 0.5: the reference at least half as fast as the torch target
                "reference_over_torch": statistics.median(t / r for r, t in runs),
                "ratio_all_runs": [t / r for r, t in runs],
            }
    return result


def sweep(args: list[str], repeats: int) -> dict:
    """End-to-end wall time of ``python -m conformance sweep`` (median of runs)."""
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "report.json")
            began = time.perf_counter()
            with CpuMeter() as cpu:
                subprocess.run(
                    [sys.executable, "-m", "conformance", "sweep", *args, "--no-progress",
                     "--json", out], check=True, stdout=subprocess.DEVNULL,
                )
            seconds = time.perf_counter() - began
            report = {"cpu_seconds": cpu.seconds}
            with open(out, encoding="utf-8") as f:
                report.update(json.load(f))
        runs.append((seconds, report))
    seconds = statistics.median(s for s, _ in runs)
    inputs = runs[0][1]["inputs"]
    return {
        "command": "python -m conformance sweep " + " ".join(args),
        "seconds_end_to_end": seconds,
        "seconds_all_runs": [s for s, _ in runs],
        "inputs": inputs,
        "inputs_per_s": inputs / seconds,
        "inputs_per_s_in_sweep": inputs / statistics.median(r["seconds"] for _, r in runs),
        # CPU seconds of the sweep and its workers: what the wall time would
        # approach on idle cores (cpu_seconds / cores), whatever else runs.
        "cpu_seconds": statistics.median(r["cpu_seconds"] for _, r in runs),
        "configurations": runs[0][1]["configurations"],
        # the sweep loop alone (no interpreter start, imports or CUDA context)
        "seconds_in_sweep": statistics.median(r["seconds"] for _, r in runs),
        "passed": all(r["passed"] for _, r in runs),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--inputs", type=int, default=10**8)
    parser.add_argument("--skip-float32", action="store_true", help="no 2**32 sweep (minutes)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="cuda: only the GPU float32 sweeps (CuPy reference vs the torch and "
                        "cupy targets on cuda), end to end")
    parser.add_argument("--output", help="JSON path (default benchmarks/results/<host>-<date>.json)")
    parser.add_argument("--function", nargs="+", choices=_SECTION6,
                        help="measure these functions' sweeps instead (sweep --function)")
    parser.add_argument("--float32-shard", nargs="+", default=["1/64", "16/64"], metavar="K/N",
                        help="with --function: the float32 shards the 2**32 estimate is made "
                        "from (default 1/64: zero and the subnormals; 16/64: [2**-7, 2))")
    parser.add_argument("--jobs", type=int, help="sweep --jobs (default: the cores)")
    args = parser.parse_args(argv)
    if args.device == "cuda":
        return cuda_main(args)
    if args.function:
        return section6_main(args)

    now = datetime.datetime.now(datetime.timezone.utc)
    results = {
        **_machine(now, args),
        "memory_copy": copy_bandwidth(max(args.repeats, 5)),
        "reference_vs_torch": throughput(args.inputs, args.repeats),
        "sweeps": {},
    }
    base = ["--target", "torch"]
    results["sweeps"]["float16"] = sweep(base + ["--dtype", "float16"], args.repeats)
    results["sweeps"]["bfloat16"] = sweep(base + ["--dtype", "bfloat16"], args.repeats)
    if not args.skip_float32:
        results["sweeps"]["float32"] = sweep(base + ["--dtype", "float32", "--amax", "1.0"],
                                             args.repeats)
    path = _write(results, args.output, now, "")
    _print(results, path)
    return 0


_SECTION6 = ("fake_affine_tensor_quant", "scaled_e4m3")
#: The one float32 configuration of each function (the commands' own arguments).
_FLOAT32_CONFIG = {"fake_affine_tensor_quant": ["--min-max", "-1", "1"],
                   "scaled_e4m3": ["--amax", "448"]}


def _float32_grid(function: str):
    """The one float32 configuration of ``function``, as ``_FLOAT32_CONFIG``'s flags say."""
    from conformance.sweep import Grid

    return {"fake_affine_tensor_quant": Grid(ranges=((-1.0, 1.0),)),
            "scaled_e4m3": Grid(amaxes=(448.0,))}[function]


def _write(results: dict, output: str | None, now, kind: str) -> str:
    """Record the end load and write ``results`` (default ``results/<host><kind>-<date>.json``)."""
    results["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    path = output or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results",
        f"{platform.node() or 'host'}{kind}-{now:%Y%m%dT%H%M%SZ}.json",
    )
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    return path


def _machine(now, args) -> dict:
    return {
        "date": now.isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu": platform.processor() or platform.machine(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "repeats": args.repeats,
    }


def section6_main(args) -> int:
    """``--function``: the full 16-bit sweeps of each function, and the float32 estimate."""
    now = datetime.datetime.now(datetime.timezone.utc)
    results = {**_machine(now, args), "sweeps": {}, "float32_estimates": {},
               "checker_alone_16_bit": {}}
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    for function in args.function:
        base = ["--target", "torch", "--function", function, *jobs]
        for dtype in ("float16", "bfloat16"):
            results["sweeps"][f"{function}-{dtype}"] = sweep(base + ["--dtype", dtype],
                                                             args.repeats)
        shards = {}
        for shard in args.float32_shard:
            shards[shard] = sweep(base + ["--dtype", "float32", *_FLOAT32_CONFIG[function],
                                          "--shard", shard], 1)
        from conformance.sweep import Grid, Shard, grid_plan

        plan = grid_plan("float32", [_float32_grid(function)], chunk_size=1 << 20,
                         function=function)
        alone = {shard: checker_rate("torch", plan, Shard.parse(shard))
                 for shard in args.float32_shard}
        rate = (sum(a["inputs"] for a in alone.values())
                / sum(a["cpu_seconds"] for a in alone.values()))
        sixteen = {dtype: checker_rate("torch", grid_plan(dtype, [Grid()], chunk_size=1 << 16,
                                                          function=function), Shard(), 32)
                   for dtype in ("float16", "bfloat16")}
        inputs = sum(s["inputs"] for s in shards.values())
        in_sweep = sum(s["seconds_in_sweep"] for s in shards.values())
        cpu = sum(s["cpu_seconds"] for s in shards.values())
        results["float32_estimates"][function] = {
            "configuration": " ".join(_FLOAT32_CONFIG[function]),
            "shards": shards,
            "inputs_measured": inputs,
            # the shards' rate inside the sweep, extrapolated to 2**32 patterns
            "estimated_seconds_2_32": (1 << 32) * in_sweep / inputs,
            # CPU seconds per input (start-up included: an upper bound per input)
            "estimated_cpu_seconds_2_32": (1 << 32) * cpu / inputs,
            # the chunk checker alone on the shards' first chunks: no start-up
            "checker_alone": alone,
            "checker_alone_cpu_seconds_2_32": (1 << 32) / rate,
        }
        results["checker_alone_16_bit"][function] = sixteen
    path = _write(results, args.output, now, "-section6")
    for name, s in results["sweeps"].items():
        print(f"sweep {name}: {s['configurations']} configurations, {s['inputs']:,} inputs, "
              f"median {s['seconds_end_to_end']:.1f} s end to end ({s['seconds_in_sweep']:.1f} s "
              f"in the sweep), {s['cpu_seconds']:.1f} CPU s, passed={s['passed']}")
    for name, e in results["float32_estimates"].items():
        print(f"float32 {name} ({e['configuration']}): from {e['inputs_measured']:,} inputs, "
              f"2**32 estimated at {e['estimated_seconds_2_32'] / 60:.0f} min wall here, "
              f"{e['estimated_cpu_seconds_2_32'] / 60:.0f} CPU min with start-up, "
              f"{e['checker_alone_cpu_seconds_2_32'] / 60:.1f} CPU min for the checker alone")
    for name, per in results["checker_alone_16_bit"].items():
        for dtype, a in per.items():
            print(f"checker alone, {name} {dtype}: {a['inputs_per_cpu_second'] / 1e6:.1f} M "
                  "inputs per CPU s")
    print(f"load average {results['load_average_at_start']} -> {results['load_average_at_end']}")
    print(f"written to {path}")
    return 0


def _gpu_copy_bandwidth(repeats: int) -> dict:
    """Device-to-device copy of 1 GiB with CuPy (read + write counted), median of ``repeats``."""
    import cupy

    a = cupy.ones(1 << 28, dtype=cupy.float32)
    b = cupy.empty_like(a)
    times = []
    for _ in range(repeats):
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        b[...] = a
        stop.record()
        stop.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, stop) / 1e3)
    seconds = statistics.median(times)
    return {"copy_bytes_per_s": 2 * a.nbytes / seconds, "float32_copied_per_s": a.size / seconds}


def cuda_main(args) -> int:
    """``--device cuda``: the float32 sweep of one configuration on the GPU, per cuda target.

    End to end means the whole command (interpreter start, imports, CUDA
    context, CuPy kernel compilation on a cold cache, 16 chunks of 2**28),
    as a user waits for it; ``seconds_in_sweep`` is the sweep loop alone.
    """
    import torch

    now = datetime.datetime.now(datetime.timezone.utc)
    results = {
        "date": now.isoformat(timespec="seconds"),
        "host": platform.node(),
        "device": "cuda",
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "repeats": args.repeats,
        "sweeps": {},
    }
    try:
        results["gpu_memory_copy"] = _gpu_copy_bandwidth(max(args.repeats, 5))
    except Exception as exc:  # no CuPy: the sweeps below say why too
        results["gpu_memory_copy"] = {"error": f"{type(exc).__name__}: {exc}"}
    # --function: the float32 sweep of each function's one configuration instead
    functions = {f: ["--function", f, *_FLOAT32_CONFIG[f]] for f in args.function or ()} or {
        "": ["--amax", "1.0"]}
    for function, flags in functions.items():
        for target in ("torch", "cupy"):
            run = sweep(["--target", target, "--device", "cuda", "--dtype", "float32", *flags],
                        args.repeats)
            results["sweeps"][f"{function + '-' if function else ''}float32-cuda-{target}"] = run
    path = args.output or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results",
        f"{platform.node() or 'host'}-cuda-{now:%Y%m%dT%H%M%SZ}.json",
    )
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    copy = results["gpu_memory_copy"]
    if "copy_bytes_per_s" in copy:
        print(f"GPU memory copy: {copy['copy_bytes_per_s'] / 1e9:.0f} GB/s moved, "
              f"{copy['float32_copied_per_s'] / 1e9:.1f} G float32/s")
    for name, s in results["sweeps"].items():
        print(f"sweep {name} on {results['gpu']}: {s['inputs']:,} inputs in "
              f"{s['seconds_end_to_end']:.2f} s end to end ({s['inputs_per_s'] / 1e6:.0f} M "
              f"inputs/s; {s['seconds_in_sweep']:.2f} s in the sweep), passed={s['passed']}")
    print(f"written to {path}")
    return 0


def _print(results: dict, path: str) -> None:
    copy = results["memory_copy"]
    print(f"memory copy: {copy['copy_bytes_per_s'] / 1e9:.1f} GB/s moved, "
          f"{copy['float32_copied_per_s'] / 1e6:.0f} M float32/s")
    for name in ("fake_tensor_quant", "tensor_quant"):
        r = results["reference_vs_torch"][name]
        print(f"{name}: reference {r['reference_inputs_per_s'] / 1e6:.0f} M/s, torch "
              f"{r['torch_inputs_per_s'] / 1e6:.0f} M/s, ratio {r['reference_over_torch']:.2f}")
    for dtype, s in results["sweeps"].items():
        print(f"sweep {dtype}: {s['inputs']:,} inputs in {s['seconds_end_to_end']:.1f} s "
              f"end to end ({s['inputs_per_s'] / 1e6:.1f} M inputs/s), {s['cpu_seconds']:.1f} CPU s, "
              f"passed={s['passed']}")
    print(f"written to {path}")


if __name__ == "__main__":
    raise SystemExit(main())
