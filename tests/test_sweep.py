"""Exhaustive sweeps: they pass for the torch target, catch planted bugs exactly, resume and shard.

The broken kernels live in ``tests/targets/sweep`` (one bug each). Every
sweep here is a small grid (whole 16-bit dtypes, a few configurations, or
one float32 chunk) so that the file runs in seconds; the full sweeps are
marked ``slow``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conformance.cli import main
from conformance.errors import UsageError
from conformance.sweep import run_sweep
from conformance.sweep.plan import Shard, SweepPlan, default_amaxes

EPS = 2.0**-24


def plan(dtype="float16", num_bits=(8,), signs=(False,), ranges=(True,), amaxes=(1.0,),
         amax_dtypes=("float32",), chunk_size=1 << 16):
    return SweepPlan.build(dtype, num_bits=num_bits, signs=signs, ranges=ranges, amaxes=amaxes,
                           amax_dtypes=amax_dtypes, chunk_size=chunk_size)


def sweep(target, p, **kwargs):
    kwargs.setdefault("jobs", 1)
    return run_sweep(target, p, progress=False, **kwargs)


# -- passing -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_torch_target_passes_a_small_grid_of_every_16_bit_pattern(dtype):
    p = plan(dtype, num_bits=(1, 8), signs=(False, True), ranges=(True, False),
             amaxes=(EPS, float(np.nextafter(np.float32(EPS), np.float32(1))), 127 / 65504),
             amax_dtypes=("float32", dtype))
    report = sweep("torch", p)
    assert report.passed, report.mismatches[:3]
    assert report.chunks_done == p.chunk_count == len(p.configs)
    # unsigned configurations check only the patterns the article accepts
    assert 65536 * len(p.configs) // 2 < report.inputs < 65536 * len(p.configs)


def test_the_correct_switchable_kernel_passes():
    assert sweep("tests.targets.sweep.correct", plan(num_bits=(2, 8), ranges=(True, False),
                                               amaxes=(0.0, EPS, 1.0))).passed


# -- planted bugs, caught with their exact first mismatch ---------------------

BROKEN = {
    # 0.5 * (1 / 1.0) is a tie: half-even gives 0, half-away 1.
    "half_away": (plan(num_bits=(2,)), dict(
        function="fake_tensor_quant", output="outputs", input_bits="0x3800",
        expected="0x0000", actual="0x3c00", num_bits=2, narrow_range=True, amax=1.0)),
    # -1.0078125 * 127 = -128.0: the full range keeps -128, the narrow one clamps to -127.
    "always_narrow": (plan(ranges=(False,)), dict(
        function="fake_tensor_quant", output="outputs", input_bits="0xbc05",
        expected="0xbc08", actual="0xbc00", num_bits=8, narrow_range=False, amax=1.0)),
    # amax == 2**-24 exactly counts as zero: inf * 0 is NaN, not inf clamped and divided.
    "strict_zero_amax": (plan(amaxes=(EPS,)), dict(
        function="fake_tensor_quant", output="outputs", input_bits="0x7c00",
        expected="0xfe00", actual="0x0000", num_bits=8, narrow_range=True, amax=EPS)),
}


@pytest.mark.parametrize("kernel", sorted(BROKEN))
def test_a_broken_kernel_fails_with_its_exact_first_mismatch(kernel):
    p, want = BROKEN[kernel]
    report = sweep(f"tests.targets.sweep.{kernel}", p)
    assert not report.passed and report.mismatch_count > 0
    first = report.mismatches[0]
    got = dict(function=first.function, output=first.output, input_bits=first.input_bits,
               expected=first.expected, actual=first.actual, num_bits=first.config.num_bits,
               narrow_range=first.config.narrow_range, amax=float(first.config.amax))
    assert got == want
    assert first.input_bits in first.reproduction(f"tests.targets.sweep.{kernel}")


def test_unsigned_negatives_must_raise_as_one_call():
    report = sweep("tests.targets.sweep.unsigned_accepts_negative", plan(signs=(True,)))
    assert report.mismatch_count > 0
    first = report.mismatches[0]
    assert (first.output, first.actual) == ("exception", "no exception")
    assert first.expected.startswith("to raise TypeError")
    assert "one call" in first.detail


def test_one_float32_chunk_finds_the_tie_with_start_chunk_and_fail_fast():
    # 0x3b810204 * 127 rounds to exactly 0.5 in float32: chunk 0x3b8 of 2**20 patterns.
    p = plan("float32", chunk_size=1 << 20)
    report = sweep("tests.targets.sweep.half_away", p, start_chunk=0x3B8, fail_fast=True)
    assert (report.first_chunk, report.chunks_done) == (0x3B8, 1)
    first = report.mismatches[0]
    assert (first.input_bits, first.expected, first.actual) == ("0x3b810204", "0x00000000",
                                                                "0x3c010204")
    assert sweep("torch", p, shard=Shard(0x3B8 + 1, p.chunk_count)).passed


def test_worker_processes_give_the_same_verdict():
    p, want = BROKEN["always_narrow"]
    p = SweepPlan(p.dtype, p.configs, 1 << 14)  # four chunks for two workers
    report = sweep("tests.targets.sweep.always_narrow", p, jobs=2)
    assert report.mismatches[0].input_bits == want["input_bits"]
    assert report.mismatch_count == sweep("tests.targets.sweep.always_narrow", p).mismatch_count


# -- chunks, shards, resume -----------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_the_chunks(count):
    blocks = [Shard(k, count).block(100) for k in range(1, count + 1)]
    covered = [c for lo, hi in blocks for c in range(lo, hi)]
    assert covered == list(range(100))


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2"])
def test_bad_shards_are_usage_errors(text):
    with pytest.raises(UsageError, match="K/N"):
        Shard.parse(text)


def test_default_amaxes_hold_the_thresholds():
    values = {float(v) for v in default_amaxes(127.0)}
    f32 = np.float32
    for v in (0.0, EPS, np.nextafter(f32(EPS), f32(0)), np.nextafter(f32(EPS), f32(1)),
              f32(127) / f32(65504), 1.0, float("inf")):
        assert float(v) in values


def test_resume_continues_where_a_stopped_sweep_left(tmp_path):
    p = SweepPlan("float16", plan(num_bits=(2, 8), ranges=(True, False)).configs, 1 << 14)
    full = sweep("tests.targets.sweep.always_narrow", p)
    resume = str(tmp_path / "state.json")
    stopped = sweep("tests.targets.sweep.always_narrow", p, resume=resume, fail_fast=True)
    assert stopped.first_chunk + stopped.chunks_done < p.chunk_count
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["next_chunk"] == stopped.chunks_done and not state["complete"]
    rest = sweep("tests.targets.sweep.always_narrow", p, resume=resume)
    assert rest.first_chunk == stopped.chunks_done
    assert rest.mismatch_count == full.mismatch_count and rest.inputs == full.inputs
    again = sweep("tests.targets.sweep.always_narrow", p, resume=resume)
    assert again.chunks_done == 0 and json.loads((tmp_path / "state.json").read_text())["complete"]


def test_a_resume_file_of_another_sweep_is_refused(tmp_path):
    resume = str(tmp_path / "state.json")
    sweep("torch", plan(), resume=resume)
    with pytest.raises(UsageError, match="another sweep"):
        sweep("torch", plan(num_bits=(4,)), resume=resume)


# -- the command line ----------------------------------------------------------

SMALL = ["sweep", "--dtype", "float16", "--num-bits", "2", "--sign", "signed", "--range", "full",
         "--amax", "1.0", "--amax-dtype", "float32", "--jobs", "1", "--no-progress"]


def test_cli_exit_codes_and_report(capsys, tmp_path):
    out = tmp_path / "report.json"
    assert main(SMALL + ["--target", "torch", "--json", str(out)]) == 0
    assert "PASS" in capsys.readouterr().out
    assert json.loads(out.read_text())["passed"] is True
    assert main(SMALL + ["--target", "tests.targets.sweep.always_narrow"]) == 1
    text = capsys.readouterr().out
    assert "MISMATCH" in text and "reproduce the first" in text and "FAIL" in text


@pytest.mark.parametrize("args, message", [
    (["--dtype", "float32"], "give --amax"),
    (["--dtype", "float16", "--shard", "3/2"], "--shard must be K/N"),
    (["--dtype", "float16", "--start-chunk", "100000"], "--start-chunk must lie in"),
    (["--dtype", "float16", "--num-bits", "8", "--sign", "signed", "--range", "full",
      "--amax", "1", "--chunk-size", "16384", "--start-chunk", "5", "--shard", "1/2"],
     "past shard 1/2"),
    (["--dtype", "float16", "--num-bits", "33"], "--num-bits must lie in 0..32"),
    (["--dtype", "float16", "--amax", "-1"], "--amax must be >= 0"),
    (["--dtype", "float16", "--amax", "lots"], "--amax takes numbers"),
    (["--dtype", "float16", "--jobs", "0"], "--jobs must be at least 1"),
    (["--dtype", "float16", "--chunk-size", "0"], "--chunk-size must be a positive"),
])
def test_bad_arguments_exit_2_with_a_message(capsys, args, message):
    assert main(["sweep", "--target", "torch", "--no-progress"] + args) == 2
    assert message in capsys.readouterr().err


def test_an_unimportable_target_exits_2(capsys):
    assert main(SMALL + ["--target", "no_such_module_anywhere"]) == 2
    assert "cannot import target" in capsys.readouterr().err


# -- the zoo and the full sweeps -------------------------------------------------


@pytest.mark.parametrize("member", ["round_half_away", "always_narrow", "zero_amax_strict"])
def test_zoo_members_fail_a_small_sweep(member):
    pytest.importorskip(f"tests.zoo.{member}")
    p = plan(num_bits=(2, 8), ranges=(True, False), amaxes=(EPS, 1.0))
    assert sweep(f"tests.zoo.{member}", p).mismatch_count > 0


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_full_16_bit_sweep_of_the_torch_target(dtype):
    assert main(["sweep", "--target", "torch", "--dtype", dtype, "--no-progress"]) == 0


@pytest.mark.slow
def test_full_float32_sweep_of_the_torch_target():
    assert main(["sweep", "--target", "torch", "--dtype", "float32", "--amax", "1.0",
                 "--no-progress"]) == 0
