"""Exhaustive sweeps: they pass for the torch target, catch planted bugs exactly, resume and shard,
and never give a false green.

The broken kernels live in ``tests/targets/sweep`` (one bug each), with the
hostile ones (exit, crash, raise SystemExit / KeyboardInterrupt, hang in one
configuration). Every sweep here is a small grid (whole 16-bit dtypes, a few
configurations, or one float32 chunk) so that the file runs in seconds; the
full sweeps are marked ``slow``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conformance.cli import main
from conformance.errors import UsageError
from conformance.sweep import run_sweep
from conformance.sweep.plan import Shard, SweepPlan, default_amaxes
from conformance.sweep.ranges import ChunkRanges
from tests.targets.sweep._kernel import TRIGGER_AMAX

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
    assert report.run_chunks == p.chunk_count == len(p.configs)
    assert report.covered.ranges() == [(0, p.chunk_count)]
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
    assert report.covered.ranges() == [(0x3B8, 0x3B9)] and report.verdict == "FAIL"
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
    assert stopped.run_chunks < p.chunk_count and stopped.verdict == "FAIL"
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["done"] == [list(r) for r in stopped.checked.ranges()]
    rest = sweep("tests.targets.sweep.always_narrow", p, resume=resume)
    assert rest.run_chunks == p.chunk_count - stopped.run_chunks
    assert rest.covered.ranges() == [(0, p.chunk_count)]
    assert rest.mismatch_count == full.mismatch_count and rest.inputs == full.inputs
    again = sweep("tests.targets.sweep.always_narrow", p, resume=resume)
    assert again.run_chunks == 0 and again.mismatch_count == full.mismatch_count


def test_a_resume_file_begun_at_a_start_chunk_covers_only_what_it_checked(tmp_path):
    # Issue 9 item 6: a file begun with start_chunk K was marked complete, and a later full
    # sweep with it passed over the last chunks alone. Now it records the chunks it checked:
    # the full sweep checks the rest, and its verdict covers the whole range.
    p = plan(num_bits=(2,), amaxes=(1.0,), chunk_size=1 << 12)  # 16 chunks
    target = "tests.targets.sweep.half_away"
    full = sweep(target, p)
    assert full.verdict == "FAIL"
    bad = sorted({m.chunk for m in full.mismatches})
    k = bad[-1] + 1  # the chunks from k on are clean
    assert k < p.chunk_count
    resume = str(tmp_path / "state.json")
    tail = sweep(target, p, start_chunk=k, resume=resume)
    assert tail.passed and (tail.start, tail.end) == (k, p.chunk_count)
    assert tail.covered.ranges() == [(k, p.chunk_count)]
    assert json.loads((tmp_path / "state.json").read_text())["done"] == [[k, p.chunk_count]]
    whole = sweep(target, p, resume=resume)
    assert whole.run_chunks == k and whole.verdict == "FAIL"
    assert whole.covered.ranges() == [(0, p.chunk_count)]
    assert whole.mismatch_count == full.mismatch_count


def test_a_resume_file_of_another_sweep_is_refused(tmp_path):
    resume = str(tmp_path / "state.json")
    sweep("torch", plan(), resume=resume)
    with pytest.raises(UsageError, match="another sweep"):
        sweep("torch", plan(num_bits=(4,)), resume=resume)


def test_an_old_resume_file_is_refused_rather_than_trusted(tmp_path):
    old = tmp_path / "state.json"
    old.write_text(json.dumps({"version": 1, "identity": {}, "next_chunk": 5, "inputs": 0,
                               "mismatch_count": 0, "mismatches": [], "complete": True}))
    with pytest.raises(UsageError, match="version 1"):
        sweep("torch", plan(), resume=str(old))


def test_chunk_ranges_merge_out_of_order_chunks():
    r = ChunkRanges()
    for n in (5, 3, 4, 9, 0, 1):
        r.add(n)
    assert r.ranges() == [(0, 2), (3, 6), (9, 10)] and len(r) == 6
    assert r.missing(0, 11).ranges() == [(2, 3), (6, 9), (10, 11)]
    assert 4 in r and 2 not in r and r.within(4, 9).ranges() == [(4, 6)]


# -- hostile targets: a chunk fails with its cause, the sweep goes on, never a false green -------

HOSTILE = plan(amaxes=(1.0, TRIGGER_AMAX, 2.0))  # three chunks; the middle one misbehaves


@pytest.mark.parametrize("kernel, cause, jobs", [
    ("exits_zero", "the worker process exited with status 0 during the target's", 1),
    ("segfaults", "the worker process was killed by SIGSEGV during the target's", 2),
    ("system_exit", "the target's fake_tensor_quant raised SystemExit", 1),
    ("keyboard_interrupt", "the target's fake_tensor_quant raised KeyboardInterrupt", 1),
])
def test_a_target_that_ends_its_process_or_raises_past_the_checks_fails_its_chunk(
        kernel, cause, jobs):
    report = sweep(f"tests.targets.sweep.{kernel}", HOSTILE, jobs=jobs)
    assert report.verdict == "FAIL" and not report.passed
    assert [f.chunk for f in report.failures] == [1]
    assert cause in report.failures[0].cause
    assert report.covered.ranges() == [(0, 1), (2, 3)]  # the others were checked
    assert report.mismatch_count == 0


def test_a_hung_call_fails_its_chunk_after_the_call_timeout():
    report = sweep("tests.targets.sweep.hangs", HOSTILE, call_timeout=3.0)
    assert [f.chunk for f in report.failures] == [1]
    assert "fake_tensor_quant did not return within 3 s" in report.failures[0].cause
    assert report.covered.ranges() == [(0, 1), (2, 3)] and report.verdict == "FAIL"


def test_os_exit_0_in_a_call_exits_1_on_the_command_line(capsys):
    # Issue 9 item 1: `sweep --jobs 1` used to exit 0 with the target's os._exit(0).
    assert main(["sweep", "--target", "tests.targets.sweep.exits_zero", "--dtype", "float16",
                 "--num-bits", "8", "--sign", "signed", "--range", "narrow", "--amax", "1.0",
                 str(TRIGGER_AMAX), "--amax-dtype", "float32", "--jobs", "1",
                 "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "FAILED chunk 1: the worker process exited with status 0" in out
    assert "FAIL: 1 chunk could not be checked" in out


def test_a_sweep_that_checks_nothing_is_incomplete_not_pass(capsys, tmp_path):
    out = tmp_path / "report.json"
    assert main(["sweep", "--target", "tests.targets.sweep.worker_import_fails", "--dtype",
                 "float16", "--num-bits", "8", "--sign", "signed", "--range", "narrow",
                 "--amax", "1.0", "--amax-dtype", "float32", "--no-progress",
                 "--json", str(out)]) == 3
    text = capsys.readouterr().out
    assert "refuses to load in a worker" in text and "INCOMPLETE" in text
    data = json.loads(out.read_text())
    assert (data["verdict"], data["checked"], data["missing"]) == ("INCOMPLETE", [], [[0, 1]])


# -- the command line ----------------------------------------------------------

SMALL = ["sweep", "--dtype", "float16", "--num-bits", "2", "--sign", "signed", "--range", "full",
         "--amax", "1.0", "--amax-dtype", "float32", "--jobs", "1", "--no-progress"]


def test_cli_exit_codes_and_report(capsys, tmp_path):
    out = tmp_path / "report.json"
    assert main(SMALL + ["--target", "torch", "--json", str(out)]) == 0
    assert "PASS" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["passed"] is True and data["verdict"] == "PASS"
    assert data["requested"] == [0, 1] and data["checked"] == [[0, 1]] and data["missing"] == []
    assert main(SMALL + ["--target", "tests.targets.sweep.always_narrow"]) == 1
    text = capsys.readouterr().out
    assert "MISMATCH" in text and "reproduce the first" in text and "FAIL" in text


@pytest.mark.parametrize("args, message", [
    (["--dtype", "float32"], "give --amax"),
    (["--dtype", "float16", "--shard", "3/2"], "--shard must be K/N"),
    (["--dtype", "float16", "--start-chunk", "100000"], "--start-chunk must be in [0, 2038)"),
    (["--dtype", "float16", "--num-bits", "8", "--sign", "signed", "--range", "full",
      "--amax", "1", "--chunk-size", "16384", "--start-chunk", "5", "--shard", "1/2"],
     "--start-chunk must be below 4, the end of shard 1/2"),
    (["--dtype", "float16", "--num-bits", "33"], "--num-bits must lie in 0..32"),
    (["--dtype", "float16", "--amax", "-1"], "--amax must be >= 0"),
    (["--dtype", "float16", "--amax", "lots"], "--amax takes numbers"),
    (["--dtype", "float16", "--jobs", "0"], "--jobs must be at least 1"),
    (["--dtype", "float16", "--chunk-size", "0"], "--chunk-size must be a positive"),
    (["--dtype", "float16", "--seed", "-1"], "--seed must be an integer >= 0, got -1"),
    (["--dtype", "float16", "--call-timeout", "0"], "--call-timeout must be a finite number"),
    (["--dtype", "float16", "--call-timeout", "nan"], "--call-timeout must be a finite number"),
    (["--dtype", "float16", "--call-timeout", "inf"], "--call-timeout must be a finite number"),
])
def test_bad_arguments_exit_2_with_a_message(capsys, args, message):
    assert main(["sweep", "--target", "torch", "--no-progress"] + args) == 2
    assert message in capsys.readouterr().err


def test_library_errors_name_the_argument_not_the_flag():
    with pytest.raises(UsageError, match="^shard must be K/N"):
        Shard.parse("3/2")
    with pytest.raises(UsageError, match="^jobs must be at least 1"):
        run_sweep("torch", plan(), jobs=0, progress=False)
    with pytest.raises(UsageError, match="^call_timeout must be a finite number"):
        run_sweep("torch", plan(), call_timeout=-1.0, progress=False)


@pytest.mark.parametrize("flag, path, message", [
    ("--json", "{tmp}", "is a folder"),
    ("--json", "{tmp}/missing/report.json", "does not exist; create it first"),
    ("--resume", "{tmp}", "is a folder"),
    ("--resume", "{tmp}/missing/state.json", "does not exist; create it first"),
])
def test_output_paths_are_checked_before_any_work(capsys, tmp_path, flag, path, message):
    # Issue 9 item 12: they used to fail after the whole sweep, with a traceback and exit 1.
    # The target does not even exist: the path is checked first.
    assert main(["sweep", "--target", "no_such_module_anywhere", "--dtype", "float16",
                 "--no-progress", flag, path.format(tmp=tmp_path)]) == 2
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
