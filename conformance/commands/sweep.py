"""``python -m conformance sweep``: every input pattern of a dtype against the reference.

Exit 0 (PASS) when every chunk of the requested range was checked and
every input matched; 1 (FAIL) on any mismatch or a chunk that could not be
checked because the target killed its worker, hung past --call-timeout or
raised SystemExit/KeyboardInterrupt; 3 (INCOMPLETE) when no mismatch was
found but some chunk of the range was not checked (interrupted, stopped,
a worker that could not start); 2 on usage errors, before any work.
"""

from __future__ import annotations

import contextlib
import json

from ..calls import DEFAULT_CALL_TIMEOUT
from ..devices import DEVICES
from ..errors import UsageError
from ..sweep import (
    PATTERN_DTYPES,
    Grid,
    Shard,
    SweepPlan,
    default_jobs,
    grid_plan,
    load_grid,
    run_sweep,
)
from ..sweep.errors import SweepArgumentError
from ..sweep.functions import FUNCTIONS
from ..sweep.grid import FLAGS, parse_amax
from ..sweep.ranges import format_ranges
from ._common import output_file

#: The exit status of each verdict.
EXIT = {"PASS": 0, "FAIL": 1, "INCOMPLETE": 3}

#: The flag of each library argument, for the library's errors (conformance.sweep.errors).
_FLAGS = {"shard": "--shard", "jobs": "--jobs", "start_chunk": "--start-chunk",
          "chunk_size": "--chunk-size", "call_timeout": "--call-timeout", "seed": "--seed",
          "randoms": "--random-amax", "dtype": "--dtype", "scheduler": "--scheduler",
          "task_chunks": "--task-chunks", "function": "--function"}

_SIXTEEN_BIT_CHUNK = 1 << 16
_FLOAT32_CHUNK = 1 << 20
_FLOAT32_CUDA_CHUNK = 1 << 28  # 16 chunks of 1 GiB: big enough to keep a GPU busy

_EPILOG = """\
--function picks what is swept (default fake_tensor_quant, the article's
path, with tensor_quant too where the target has it):
fake_affine_tensor_quant (--num-bits, --min-max MIN MAX, --range-dtype;
16-bit dtypes default to num_bits 1..16 over ranges that include and
exclude zero, degenerate min == max, reversed and non-finite ones, ties of
min / step, plus --random-amax random ranges, as float32 and input-dtype
tensors) and scaled_e4m3 (--amax, "none" for no amax, --amax-dtype;
16-bit dtypes default to no amax, typical, zero, tiny, huge and infinite
amaxes and the 448 saturation edge, plus --random-amax random ones). A
target without the function is a usage error (exit 2). The rest of this
text describes fake_tensor_quant's axes; sharding, --resume, --grid,
workers, timeouts and verdicts are the same for every function.

16-bit dtypes default to the full grid: num_bits 1..16, signed and unsigned,
narrow and full range, amax as float32 and as the input dtype, over amax
values at the thresholds (0, subnormals, 2**-24 and neighbours,
max_bound/65504 and neighbours, 1, 65504, 2**100, FLT_MAX, inf) plus
--random-amax seeded random ones. float32 sweeps all 2**32 patterns of one
configuration: --amax is required, num_bits defaults to 8, signed, narrow.
Several values (--amax 1 0.5 --amax 2, --num-bits 4 8, --sign both, --range
both, --amax-dtype both) make a grid: their cross product, checked as one
sweep with one verdict and a verdict per configuration. --grid FILE reads a
grid from TOML instead (several cross products, amax values from .npy or
text files, e.g. a checkpoint's per-channel amaxes; see
conformance/sweep/grid.py for the format).
Unsigned configurations check the patterns the article accepts (not
strictly negative; -0.0 and NaNs included) elementwise, and each chunk's
negative patterns as one call that must raise like the reference.

--device cuda runs the CuPy reference against the target on the GPU (one
process; float16 and float32; needs CuPy and a CUDA device), with float32
chunks of 2**28 patterns by default. Float32 subnormal inputs, and
configurations whose amax-derived values are subnormal, are checked with
the NumPy reference (CuPy flushes float32 subnormals to zero).

Every chunk is checked in a worker process (one with --jobs 1 or on cuda):
a target that ends its process (os._exit, a segfault) or a call that takes
longer than --call-timeout fails its chunk, named with the cause, and the
sweep goes on with a fresh worker. The summary and --json name the exact
chunks checked; a --resume file records them, so a run begun with
--start-chunk K never counts the chunks before K.

--scheduler ADDRESS checks the chunks as Dask tasks on a running Dask
cluster (dask scheduler / dask worker; needs the dask extra, and the
project and the target installed on every worker, whose processes must
run with DASK_DISTRIBUTED__WORKER__DAEMON=False); --scheduler local starts
a Dask LocalCluster of --jobs workers here. A target that kills its
process fails its chunk as on this machine; a lost Dask worker's tasks are
run again by Dask; the results, --resume file and verdict are those of a
local sweep.
"""


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser(
        "sweep", help="check every input bit pattern of a dtype against the reference",
        description=__doc__, epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--target", required=True, help="MODULE, MODULE:ATTR or a registered name")
    p.add_argument("--function", choices=list(FUNCTIONS), default="fake_tensor_quant",
                   help="the function swept (default fake_tensor_quant)")
    p.add_argument("--dtype", required=True, choices=list(PATTERN_DTYPES))
    p.add_argument("--amax", nargs="+", action="extend", metavar="A",
                   help="amax values (rounded to the amax dtype; may be repeated; none: "
                   "scaled_e4m3 without amax)")
    p.add_argument("--min-max", nargs=2, action="append", metavar=("MIN", "MAX"),
                   help="a (min_range, max_range) of fake_affine_tensor_quant (may be repeated)")
    p.add_argument("--range-dtype", choices=["float32", "input", "both"],
                   help="dtype of fake_affine_tensor_quant's range tensors")
    p.add_argument("--num-bits", nargs="+", action="extend", type=int, metavar="B")
    p.add_argument("--sign", choices=["signed", "unsigned", "both"])
    p.add_argument("--range", dest="range_", choices=["narrow", "full", "both"])
    p.add_argument("--amax-dtype", choices=["float32", "input", "both"])
    p.add_argument("--grid", metavar="FILE",
                   help="the configurations from a TOML grid file (instead of --amax, "
                   "--num-bits, --sign, --range, --amax-dtype)")
    p.add_argument("--random-amax", type=int, default=4, metavar="N",
                   help="random amax values added to the default set (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random amax values (>= 0)")
    p.add_argument("--chunk-size", type=int, metavar="N",
                   help=f"patterns per chunk (default {_SIXTEEN_BIT_CHUNK} for 16-bit dtypes, "
                   f"{_FLOAT32_CHUNK} for float32)")
    p.add_argument("--device", choices=DEVICES, default="cpu",
                   help="where the target and the reference run (cuda: CuPy reference, one process)")
    p.add_argument("--jobs", type=int, metavar="J", help=f"worker processes (default: {default_jobs()}, the cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="check on a Dask cluster: a scheduler's address (tcp://HOST:8786), or "
                   "'local' for a LocalCluster of --jobs workers (needs the dask extra)")
    p.add_argument("--task-chunks", type=int, metavar="N",
                   help="chunks per Dask task (default: about 2**26 patterns, at least 4 tasks "
                   "per worker thread)")
    p.add_argument("--shard", default="1/1", metavar="K/N", help="check only shard K of N")
    p.add_argument("--start-chunk", type=int, default=0, metavar="K",
                   help="skip the chunks before K (a sweep prints where it stopped)")
    p.add_argument("--resume", metavar="FILE",
                   help="record progress in FILE; if it exists, continue where it stopped")
    p.add_argument("--strict", action="store_true",
                   help="ignore the variations the target declares")
    p.add_argument("--show", type=int, default=10, metavar="N", help="mismatches to print")
    p.add_argument("--call-timeout", type=float, default=DEFAULT_CALL_TIMEOUT, metavar="S",
                   help="seconds one call of the target (or the reference) may take before its "
                   f"chunk fails as hung (default {DEFAULT_CALL_TIMEOUT:g})")
    p.add_argument("--fail-fast", action="store_true", help="stop after the first bad chunk")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    p.set_defaults(func=run)


_GRID_FLAGS = {"amax": "--amax", "num_bits": "--num-bits", "sign": "--sign",
               "range_": "--range", "amax_dtype": "--amax-dtype", "min_max": "--min-max",
               "range_dtype": "--range-dtype"}
_DTYPES = {"float32": ("float32",), "input": ("input",), "both": ("float32", "input"), None: None}


def build_plan(args) -> SweepPlan:
    """The plan the arguments ask for, with the dtype's defaults; UsageError if unusable."""
    if args.random_amax < 0:
        raise UsageError(f"--random-amax must be >= 0, got {args.random_amax}.")
    if args.show < 0:
        raise UsageError(f"--show must be >= 0, got {args.show}.")
    if args.grid:
        given = [flag for key, flag in _GRID_FLAGS.items() if getattr(args, key)]
        if given:
            raise UsageError(f"--grid {args.grid} names the configurations; drop "
                             f"{', '.join(given)} (or put them in the grid file).")
        grids = load_grid(args.grid)
    else:
        grids = [Grid(
            num_bits=tuple(args.num_bits) if args.num_bits else None,
            unsigned={"signed": (False,), "unsigned": (True,), "both": (False, True),
                      None: None}[args.sign],
            narrow_range={"narrow": (True,), "full": (False,), "both": (True, False),
                          None: None}[args.range_],
            amaxes=tuple(parse_amax(a) for a in args.amax) if args.amax else None,
            amax_dtypes=_DTYPES[args.amax_dtype],
            ranges=tuple(_range(pair) for pair in args.min_max) if args.min_max else None,
            range_dtypes=_DTYPES[args.range_dtype],
        )]
    float32_chunk = _FLOAT32_CUDA_CHUNK if getattr(args, "device", "cpu") == "cuda" else _FLOAT32_CHUNK
    chunk = args.chunk_size if args.chunk_size is not None else (
        float32_chunk if args.dtype == "float32" else _SIXTEEN_BIT_CHUNK)
    return grid_plan(args.dtype, grids, chunk_size=chunk, randoms=args.random_amax,
                     seed=args.seed, function=args.function)


def _range(pair) -> tuple[float, float]:
    values = tuple(parse_amax(v, FLAGS["ranges"]) for v in pair)
    if None in values:
        raise UsageError(f"--min-max takes two numbers (-1 1, -inf inf, 0x1p-14 2), got "
                         f"{' '.join(pair)}.")
    return values


@contextlib.contextmanager
def _flags():
    """The library's argument errors, phrased with the command line's flags."""
    try:
        yield
    except SweepArgumentError as exc:
        raise UsageError(exc.phrased(_FLAGS.get(exc.argument, exc.argument))) from None


def run(args) -> int:
    for flag, path in (("--json", args.json), ("--resume", args.resume)):
        if path:
            output_file(path, flag)
    with _flags():
        plan = build_plan(args)
        shard = Shard.parse(args.shard)
        report = run_sweep(
            args.target, plan, jobs=args.jobs, shard=shard, start_chunk=args.start_chunk,
            resume=args.resume, strict=args.strict, keep=max(args.show, 1),
            fail_fast=args.fail_fast, progress=not args.no_progress, device=args.device,
            call_timeout=args.call_timeout, scheduler=args.scheduler,
            task_chunks=args.task_chunks,
        )
    print(summary(report, args.show, resume=args.resume))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.to_json(), f, indent=1)
    return EXIT[report.verdict]


def _per_configuration(configs, show: int) -> list[str]:
    """A grid's verdicts: counts, then each failing configuration with its first mismatch."""
    counts = {v: sum(c.verdict == v for c in configs) for v in EXIT}
    lines = ["configurations: " + ", ".join(f"{n:,} {v}" for v, n in counts.items())]
    failing = [c for c in configs if c.tally.mismatch_count]
    for c in failing[:show]:
        first = c.tally.mismatches[0]
        lines.append(f"  MISMATCH {c.tally.mismatch_count:,} in configuration {c.index}, the "
                     f"first: {first.describe()}")
    if len(failing) > show:
        lines.append(f"  ... and {len(failing) - show:,} more configurations with mismatches "
                     "(--json lists each)")
    return lines


def summary(report, show: int, resume: str | None = None) -> str:
    """The verdict for a person: the exact chunks checked, counts, speed, what failed, how to go on."""
    plan = report.plan
    covered, missing = report.covered, report.missing
    lines = [
        f"sweep {'' if plan.function == 'fake_tensor_quant' else plan.function + ' '}"
        f"{plan.dtype} of {report.target} on {report.device}: {len(plan.configs)} configurations x "
        f"{plan.pattern_count:,} patterns, {plan.chunk_count:,} chunks of {plan.chunk_size:,}"
        + (f", shard {report.shard}" if report.shard.count > 1 else ""),
        f"requested chunks [{report.start}, {report.end}): checked {len(covered):,} "
        f"({format_ranges(covered)}), {report.inputs:,} inputs in all; this run "
        f"{report.run_chunks:,} chunks, {report.run_inputs:,} inputs in {report.seconds:.1f} s "
        f"({report.inputs_per_second:,.0f} inputs/s)"
        + (f" on {report.engine}" if report.engine else ""),
    ]
    configs = report.configurations()
    if len(configs) > 1:
        lines += _per_configuration(configs, show)
    else:
        lines += ["  MISMATCH " + m.describe() for m in report.mismatches[:show]]
    if report.mismatches and show:
        lines.append("  reproduce the first: " + report.mismatches[0].reproduction(report.target))
    for f in report.failures[:max(show, 1)]:
        lines.append("  FAILED " + f.describe())
    if len(report.failures) > max(show, 1):
        lines.append(f"  ... and {len(report.failures) - max(show, 1)} more failed chunks")
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    failed = {f.chunk for f in report.failures}
    left = next((n for n in missing.numbers() if n not in failed), None)
    if left is not None:
        again = f"the same --resume {resume}" if resume else f"--start-chunk {left}"
        lines.append(f"not checked: {format_ranges(missing)}; continue with {again}")
    if report.verdict == "PASS":
        lines.append(f"PASS: every chunk of [{report.start}, {report.end}) checked, no mismatch")
    elif report.verdict == "FAIL":
        why = []
        if report.mismatch_count:
            why.append(f"{report.mismatch_count:,} mismatching results")
        if report.failures:
            n = len(report.failures)
            why.append(f"{n} chunk{'s' if n > 1 else ''} could not be checked")
        lines.append("FAIL: " + ", ".join(why))
    else:
        lines.append(f"INCOMPLETE: {len(missing):,} of the {report.end - report.start:,} requested "
                     f"chunks were not checked (exit {EXIT['INCOMPLETE']})")
    return "\n".join(lines)
