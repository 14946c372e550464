"""Sweeps of SPEC section 6's functions (``sweep --function``): the same engine, other calls.

``fake_affine_tensor_quant`` and ``scaled_e4m3`` go through the sweep's
plan, workers, ledger, resume file and verdicts exactly as the article's
``fake_tensor_quant`` does (``conformance.sweep.functions``). Here: the
torch target passes slices of the default grids (whole 16-bit dtypes, a
few configurations; one float32 chunk); broken kernels of
``tests/targets/sweep`` are caught with their exact first mismatch and a
reproduction that runs; a target that kills its process fails its chunk;
usage errors exit 2 naming the fix; the GPU checker's code agrees with
the CPU checker (run with NumPy). The full sweeps are marked ``slow``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conformance.cli import main
from conformance.errors import UsageError
from conformance.sweep import Grid, grid_plan, load_grid, run_sweep
from conformance.sweep.check import ChunkChecker
from conformance.sweep.cuda import CudaChunkChecker, ftz_safe
from conformance.sweep.functions import AFFINE_RANGES, E4M3_AMAXES, AffineConfig, E4M3Config
from conformance.sweep.plan import Shard
from conformance.targets import load_target
from reference import ARTICLE
from tests.targets.sweep._kernel import TRIGGER_AMAX

AFFINE = "fake_affine_tensor_quant"
E4M3 = "scaled_e4m3"
#: 2 bits over [-1.5, 1.5]: step 1, so x = 0.5 is a tie of x / step (half-even 0, away 1)
#: and min / step = -1.5 a tie of the zero point.
TIE_AXES = {"num_bits": (2,), "ranges": ((-1.5, 1.5),), "range_dtypes": ("float32",)}
TIE = Grid(**TIE_AXES)


def affine(dtype="float16", chunk_size=1 << 16, **grid):
    return grid_plan(dtype, [Grid(**grid)], chunk_size=chunk_size, function=AFFINE)


def e4m3(dtype="float16", chunk_size=1 << 16, **grid):
    return grid_plan(dtype, [Grid(**grid)], chunk_size=chunk_size, function=E4M3)


def sweep(target, plan, **kwargs):
    kwargs.setdefault("jobs", 1)
    return run_sweep(target, plan, progress=False, **kwargs)


# -- the default grids hold what the issue asks for ---------------------------------------------


def test_default_grids_cover_the_configurations_that_matter():
    p = affine()
    assert p.function == AFFINE and {c.num_bits for c in p.configs} == set(range(1, 17))
    ranges = {(float(c.min_range), float(c.max_range)) for c in p.configs
              if c.range_dtype == "float32"}
    assert {(-1.0, 1.0), (0.5, 2.0), (-3.0, -0.25), (1.0, 1.0), (0.0, 0.0), (1.0, -1.0)} <= ranges
    assert {c.range_dtype for c in p.configs} == {"float32", "float16"}
    amaxes = [c.amax for c in e4m3().configs]
    assert amaxes.count(None) == 1  # the call without amax, once (it has no dtype)
    values = {float(a) for a in amaxes if a is not None}
    assert {1.0, 0.0, 2.0**-24, 448.0, 464.0, float("inf"), 65504.0} <= values
    assert float(np.nextafter(np.float32(448), np.float32(0))) in values
    assert len(AFFINE_RANGES) == len(set(AFFINE_RANGES)) and None in E4M3_AMAXES


# -- the torch target passes ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_torch_target_passes_a_slice_of_the_affine_grid(dtype):
    p = affine(dtype, num_bits=(1, 8, 16), ranges=((-1.0, 1.0), (0.5, 2.0), (1.0, 1.0),
                                                  (1.0, -1.0), (-0.5, 254.5), (np.nan, 1.0)),
               range_dtypes=("float32", "input"))
    report = sweep("torch", p, jobs=2)
    assert report.passed, report.mismatches[:3]
    assert report.inputs == 65536 * len(p.configs) == 65536 * 36


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_torch_target_passes_the_default_e4m3_grid(dtype):
    p = e4m3(dtype)
    report = sweep("torch", p, jobs=2)
    assert report.passed, report.mismatches[:3]
    assert report.covered.ranges() == [(0, p.chunk_count)]


@pytest.mark.parametrize("plan, chunk", [
    (affine("float32", chunk_size=1 << 20, ranges=((-1.0, 1.0),)), 0x3F8),  # [1.0, 2.0)
    (e4m3("float32", chunk_size=1 << 20, amaxes=(448.0,)), 0x43E),  # around 448
    (e4m3("float32", chunk_size=1 << 20, amaxes=(None,)), 0x000),  # +0 and subnormals
])
def test_a_float32_chunk_passes(plan, chunk):
    report = sweep("torch", plan, shard=Shard(chunk + 1, plan.chunk_count))
    assert (report.start, report.end) == (chunk, chunk + 1)
    assert report.passed and report.inputs == 1 << 20, report.mismatches[:3]


# -- broken kernels, caught with their exact first mismatch -----------------------------------

BROKEN = {
    # x = 0.5 with step 1: half-even gives 0, half away from zero 1.
    "affine_half_away": (AFFINE, TIE, "0x3800", "0x0000", "0x3c00", 2),
    # 464 (0x5f40) is the first float16 past the E4M3 tie: it saturates to 448, not NaN.
    "e4m3_no_saturation": (E4M3, Grid(amaxes=(None,)), "0x5f40", "0x5f00", "0x7e00", None),
}


@pytest.mark.parametrize("kernel", sorted(BROKEN))
def test_a_broken_kernel_fails_with_its_exact_first_mismatch(kernel, capsys):
    function, grid, bits, expected, actual, count = BROKEN[kernel]
    p = grid_plan("float16", [grid], chunk_size=1 << 16, function=function)
    spec = f"tests.targets.sweep.{kernel}"
    report = sweep(spec, p)
    assert report.verdict == "FAIL" and (count is None or report.mismatch_count == count)
    first = report.mismatches[0]
    assert (first.function, first.output, first.input_bits, first.expected, first.actual) == (
        function, "outputs", bits, expected, actual)
    exec(first.reproduction(spec), {})  # the snippet runs and shows the target's wrong value
    shown = capsys.readouterr().out
    assert ("1." if kernel == "affine_half_away" else "nan") in shown


def test_the_command_line_reports_a_broken_affine_kernel_and_exits_1(capsys, tmp_path):
    out = tmp_path / "report.json"
    assert main(["sweep", "--target", "tests.targets.sweep.affine_half_away", "--function",
                 AFFINE, "--dtype", "bfloat16", "--num-bits", "2", "--min-max", "-1.5", "1.5",
                 "--range-dtype", "float32", "--jobs", "1", "--no-progress", "--json",
                 str(out)]) == 1
    text = capsys.readouterr().out
    assert text.startswith(f"sweep {AFFINE} bfloat16 of tests.targets.sweep.affine_half_away")
    assert "input 0x3f00 (bfloat16), num_bits=2 min_range=-1.5" in text and "FAIL" in text
    data = json.loads(out.read_text())
    assert data["function"] == AFFINE and data["mismatches"][0]["config"]["num_bits"] == 2


def test_the_gpu_checker_code_agrees_with_the_cpu_checker():
    # CudaChunkChecker with NumPy and torch on the CPU (as tests/test_sweep_cuda.py does).
    for spec, p in [("tests.targets.sweep.affine_half_away", affine(**TIE_AXES)),
                    ("tests.targets.sweep.e4m3_no_saturation", e4m3(amaxes=(None, 448.0, 2.5))),
                    ("torch", affine(num_bits=(8,), ranges=((-0.75, 3.5), (0.0, 0.0))))]:
        target = load_target(spec)
        cpu = ChunkChecker(target, p, semantics=ARTICLE, keep=3)
        gpu = CudaChunkChecker(target, p, semantics=ARTICLE, keep=3, xp=np, device="cpu")
        for number in range(p.chunk_count):
            a, b = cpu.check(number), gpu.check(number)
            assert (a.inputs, a.mismatch_count, a.mismatches) == (
                b.inputs, b.mismatch_count, b.mismatches), (spec, number)


def test_ftz_safe_flags_section6_configurations_with_subnormal_derived_values():
    assert ftz_safe(E4M3Config(None))
    safe, tiny = e4m3("float32", amaxes=(1.0, 2.0**-127)).configs
    assert ftz_safe(safe) and not ftz_safe(tiny)  # 1 / 2**-127 is finite only without FTZ
    wide, narrow = affine("float32", ranges=((-1.0, 1.0), (0.0, 2.0**-120))).configs
    assert ftz_safe(wide) and not ftz_safe(narrow)  # a step of 2**-128 is subnormal
    assert isinstance(narrow, AffineConfig)


# -- the supervised workers and the resume file work the same -----------------------------------


def test_a_target_that_ends_its_process_in_scaled_e4m3_fails_its_chunk():
    p = e4m3(amaxes=(1.0, TRIGGER_AMAX, 2.0), amax_dtypes=("float32",))
    report = sweep("tests.targets.sweep.e4m3_exits", p)
    assert report.verdict == "FAIL" and [f.chunk for f in report.failures] == [1]
    assert "exited with status 0 during the target's scaled_e4m3" in report.failures[0].cause
    assert report.covered.ranges() == [(0, 1), (2, 3)] and report.mismatch_count == 0


def test_resume_keeps_an_affine_sweeps_mismatches_and_refuses_another_functions_file(tmp_path):
    resume = str(tmp_path / "resume.json")
    p = grid_plan("float16", [TIE, Grid(num_bits=(8,), ranges=((0.5, 2.0),))],
                  chunk_size=1 << 15, function=AFFINE)
    spec = "tests.targets.sweep.affine_half_away"
    first = sweep(spec, p, resume=resume, fail_fast=True)
    assert first.verdict == "FAIL" and len(first.covered) < p.chunk_count
    again = sweep(spec, p, resume=resume)
    assert again.covered.ranges() == [(0, p.chunk_count)]
    assert again.mismatches[0] == first.mismatches[0]  # read back from the file, exactly
    assert again.mismatch_count == sweep(spec, p).mismatch_count  # each chunk counted once
    other = grid_plan("float16", [Grid(amaxes=(1.0,))], chunk_size=1 << 15, function=E4M3)
    with pytest.raises(UsageError, match="belongs to another sweep"):
        sweep(spec, other, resume=resume)


def test_a_grid_file_names_ranges_and_amax_none(tmp_path):
    (tmp_path / "affine.toml").write_text(
        'range_dtype = "input"\n[[grid]]\nnum_bits = [4, 8]\nranges = [[-1.0, 1.0], '
        '["0x1p-1", 2]]\n[[grid]]\nnum_bits = 8\nranges = [[-1.0, 1.0]]\n')
    p = grid_plan("bfloat16", load_grid(str(tmp_path / "affine.toml")), chunk_size=1 << 16,
                  function=AFFINE)
    assert [(c.num_bits, float(c.min_range), float(c.max_range), c.range_dtype)
            for c in p.configs] == [(4, -1.0, 1.0, "bfloat16"), (4, 0.5, 2.0, "bfloat16"),
                                    (8, -1.0, 1.0, "bfloat16"), (8, 0.5, 2.0, "bfloat16")]
    (tmp_path / "e4m3.toml").write_text('amax = ["none", 448, "inf"]\namax_dtype = "float32"\n')
    assert main(["sweep", "--target", "torch", "--function", E4M3, "--dtype", "float16",
                 "--grid", str(tmp_path / "e4m3.toml"), "--jobs", "1", "--no-progress"]) == 0


# -- usage errors ------------------------------------------------------------------------------

F16 = ["sweep", "--target", "torch", "--dtype", "float16", "--jobs", "1", "--no-progress"]


@pytest.mark.parametrize("args, message", [
    (["sweep", "--target", "tests.targets.sweep.correct", "--function", AFFINE, "--dtype",
      "float16", "--num-bits", "8"],
     "target 'tests.targets.sweep.correct' has no fake_affine_tensor_quant"),
    (["sweep", "--target", "tests.targets.sweep.e4m3_exits", "--function", AFFINE, "--dtype",
      "float16"], "(the target has: fake_tensor_quant, scaled_e4m3"),
    ([*F16, "--function", AFFINE, "--sign", "signed", "--amax", "1"],
     "--sign, --amax do not apply to a --function fake_affine_tensor_quant sweep, which takes "
     "--num-bits, --min-max, --range-dtype"),
    ([*F16, "--function", E4M3, "--num-bits", "8"], "--num-bits does not apply"),
    ([*F16, "--min-max", "-1", "1"], "--min-max does not apply to a --function "
     "fake_tensor_quant sweep"),
    ([*F16, "--amax", "none"], "none (no amax) is a scaled_e4m3 configuration"),
    ([*F16, "--function", AFFINE, "--min-max", "-1", "none"], "--min-max takes two numbers"),
    (["sweep", "--target", "torch", "--function", AFFINE, "--dtype", "float32"],
     "give --min-max MIN MAX"),
    (["sweep", "--target", "torch", "--function", E4M3, "--dtype", "float32"],
     "give --amax A (e.g. --amax 1.0, or --amax none)"),
])
def test_usage_errors_exit_2_naming_the_fix(capsys, args, message):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_a_grid_file_with_another_functions_keys_exits_2(capsys, tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text("ranges = [[-1.0, 1.0]]\n")
    assert main([*F16, "--grid", str(grid)]) == 2
    assert (f"{grid}: ranges does not apply to a --function fake_tensor_quant sweep, which "
            "takes num_bits, unsigned, narrow_range, amax, amax_file, amax_dtype"
            in capsys.readouterr().err)


# -- the full sweeps (benchmarks/bench_sweeps.py measures them) ----------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("function", [AFFINE, E4M3])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_full_16_bit_sweep_of_the_torch_target(function, dtype):
    p = grid_plan(dtype, [Grid()], chunk_size=1 << 16, function=function)
    assert sweep("torch", p, jobs=None).passed
