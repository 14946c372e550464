"""Grid sweeps: many configurations as one sweep with one verdict, here or on a Dask cluster.

The grid comes from flags or a TOML file (``conformance.sweep.grid``); the
verdict is given for the whole and for each configuration. On a Dask
``LocalCluster`` of 2 workers (one for the module, so that the Dask tests
stay fast) the results must equal a local run's exactly: with a broken
kernel, with a target that kills its process, after a stop and a resume,
and after a Dask worker is killed in the middle of a chunk.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pytest

from conformance.cli import main
from conformance.errors import UsageError
from conformance.sweep import Grid, SweepPlan, grid_plan, load_grid, run_sweep
from conformance.sweep.judge import ChunkFailure, ChunkOutcome
from conformance.sweep.ledger import Ledger
from tests.targets.sweep._kernel import TRIGGER_AMAX

EPS = 2.0**-24
BROKEN = "tests.targets.sweep.half_away"
#: 2 num_bits x 2 ranges x 2 amaxes, 4 chunks each: num_bits 2 with amax 1.0 has ties that
#: half-away rounding gets wrong, the other configurations pass.
GRID = grid_plan("float16", [Grid(num_bits=(2, 8), unsigned=(False,),
                                  narrow_range=(True, False), amaxes=(1.0, EPS),
                                  amax_dtypes=("float32",))], chunk_size=1 << 14)


def sweep(target, plan, **kwargs):
    kwargs.setdefault("jobs", None if kwargs.get("scheduler") else 1)
    return run_sweep(target, plan, progress=False, **kwargs)


def same_results(a, b) -> dict:
    """The parts of two reports that must be equal whatever engine ran them."""
    def key(report):
        data = report.to_json()
        for name in ("target", "engine", "dashboard", "seconds", "inputs_per_second",
                     "run_chunks", "run_inputs"):
            data.pop(name)
        return data
    return {k: (v, key(b)[k]) for k, v in key(a).items() if v != key(b)[k]}


# -- grids -------------------------------------------------------------------------------------


def test_a_grid_file_is_the_union_of_its_cross_products(tmp_path):
    np.save(tmp_path / "channels.npy", np.array([[0.5, 1.0], [0.5, 2.0]], dtype=np.float32))
    (tmp_path / "more.txt").write_text("# per-channel amaxes\n3.0, 0x1p-24\ninf\n")
    (tmp_path / "grid.toml").write_text(
        "num_bits = [4, 8]\nnarrow_range = [true, false]\n"
        "[[grid]]\namax = [1.0, \"0x1p-24\"]\n"
        "[[grid]]\nnum_bits = 8\nunsigned = [false, true]\namax_file = [\"channels.npy\", "
        "\"more.txt\"]\namax_dtype = [\"float32\", \"input\"]\n")
    grids = load_grid(str(tmp_path / "grid.toml"))
    assert [g.num_bits for g in grids] == [(4, 8), (8,)]
    assert grids[1].amaxes == (0.5, 1.0, 0.5, 2.0, 3.0, EPS, float("inf"))
    plan = grid_plan("float32", grids, chunk_size=1 << 20)
    want = SweepPlan.build("float32", num_bits=(4, 8), signs=(False,), ranges=(True, False),
                           amaxes=(1.0, EPS), chunk_size=1 << 20).configs
    second = SweepPlan.build("float32", num_bits=(8,), signs=(False, True),
                             ranges=(True, False), amaxes=(0.5, 1.0, 2.0, 3.0, EPS, np.inf),
                             chunk_size=1 << 20).configs
    # each configuration once, in the file's order; "input" is float32 here, so one amax dtype
    assert plan.configs == want + tuple(c for c in second if c not in want)
    assert plan.chunk_count == len(plan.configs) * 4096


def test_repeated_flags_make_a_grid_on_the_command_line(tmp_path):
    out = tmp_path / "report.json"
    assert main(["sweep", "--target", "torch", "--dtype", "float16", "--num-bits", "2",
                 "--num-bits", "8", "--amax", "1.0", "--amax", "0x1p-24", "--sign", "signed",
                 "--range", "both", "--amax-dtype", "float32", "--chunk-size", "16384",
                 "--jobs", "1", "--no-progress", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["configurations"] == len(GRID.configs) == 8
    assert [c["config"] for c in data["per_configuration"]] == [c.as_dict() for c in GRID.configs]
    assert data["config_verdicts"] == {"PASS": 8, "FAIL": 0, "INCOMPLETE": 0}


@pytest.mark.parametrize("text, args, message", [
    ("num_bits = [40]\namax = [1.0]", [], "grid.toml: num_bits must lie in 0..32, got [40]"),
    ("amax = [-1.0]", [], "grid.toml: amax must be >= 0"),
    ("amax = [\"lots\"]", [], "grid.toml: amax takes numbers"),
    ("amax = [1.0]\nbits = 8", [], "grid.toml: unknown key bits; a grid takes num_bits"),
    ("amax = [1.0]\nunsigned = 1", [], "grid.toml: unsigned takes true/false, got 1"),
    ("amax = [1.0]\nnum_bits = true", [], "grid.toml: num_bits takes integers, got True"),
    ("amax = [1.0]\namax_dtype = \"float16\"", [], "amax_dtype takes \"float32\" and \"input\""),
    ("amax = []", [], "grid.toml: amax holds no values"),
    ("amax_file = \"missing.npy\"", [], "grid.toml: cannot read amax_file"),
    ("num_bits = [4]", [], "grid.toml: --dtype float32 sweeps 2**32 patterns per"),
    ("[[grid]]\nnum_bits = [4]", [], "grid.toml [[grid]] 1: --dtype float32 sweeps"),
    ("amax = [1.0", [], "is not valid TOML"),
    ("amax = [1.0]", ["--amax", "2.0", "--sign", "both"], "drop --amax, --sign"),
])
def test_a_bad_grid_exits_2_naming_the_file_and_key(capsys, monkeypatch, tmp_path, text, args,
                                                    message):
    (tmp_path / "grid.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--target", "torch", "--dtype", "float32", "--grid", "grid.toml",
                 "--no-progress"] + args) == 2
    assert message in capsys.readouterr().err


def test_a_float32_grid_numbers_its_chunks_configuration_major():
    # 0x3b810204 * 127 rounds to exactly 0.5 in float32: chunk 0x3b8 of each configuration
    # with num_bits 8 and amax 1.0 (the second one here).
    plan = grid_plan("float32", [Grid(num_bits=(4, 8), amaxes=(1.0,))], chunk_size=1 << 20)
    assert plan.chunks_per_config == 4096 and plan.chunk_count == 8192
    chunk = 4096 + 0x3B8
    report = sweep(BROKEN, plan, start_chunk=chunk, fail_fast=True)
    assert report.covered.ranges() == [(chunk, chunk + 1)] and report.verdict == "FAIL"
    (config,) = report.configurations()
    assert (config.index, config.config.num_bits, config.verdict) == (1, 8, "FAIL")
    assert config.tally.mismatches[0].input_bits == "0x3b810204"


def test_a_grid_sweep_gives_a_verdict_per_configuration(capsys, tmp_path):
    report = sweep(BROKEN, GRID)
    verdicts = {(c.config.num_bits, c.config.narrow_range, float(c.config.amax)): c.verdict
                for c in report.configurations()}
    assert verdicts == {(2, n, a): "FAIL" if a == 1.0 else "PASS"
                        for n in (True, False) for a in (1.0, EPS)} | {
        (8, n, a): "PASS" for n in (True, False) for a in (1.0, EPS)}
    failing = [c for c in report.configurations() if c.verdict == "FAIL"]
    assert sum(c.tally.mismatch_count for c in failing) == report.mismatch_count > 0
    assert all(m.config == c.config for c in failing for m in c.tally.mismatches)
    assert sum(c.tally.inputs for c in report.configurations()) == report.inputs == 8 * 65536
    # the command line: one line per failing configuration with its first mismatch
    out = tmp_path / "report.json"
    (tmp_path / "grid.toml").write_text("num_bits = [2, 8]\nunsigned = false\nnarrow_range = "
                                        "[true, false]\namax = [1.0, \"0x1p-24\"]\n"
                                        "amax_dtype = \"float32\"\n")
    assert main(["sweep", "--target", BROKEN, "--dtype", "float16", "--grid",
                 str(tmp_path / "grid.toml"), "--chunk-size", "16384", "--jobs", "1",
                 "--no-progress", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "configurations: 6 PASS, 2 FAIL, 0 INCOMPLETE" in text
    assert text.count("MISMATCH") == 2 and "in configuration 0, the first: chunk 0:" in text
    data = json.loads(out.read_text())
    assert data["config_verdicts"] == {"PASS": 6, "FAIL": 2, "INCOMPLETE": 0}
    assert [c["verdict"] for c in data["per_configuration"]] == [c.verdict for c in
                                                                  report.configurations()]


def test_the_ledger_counts_a_chunk_reported_twice_once():
    ledger = Ledger(GRID, keep=3)
    outcome = ChunkOutcome(5, 100, 2, ())
    assert ledger.record(outcome) and not ledger.record(outcome)
    assert (ledger.inputs, ledger.mismatch_count) == (100, 2)
    assert ledger.record(ChunkFailure(6, "died")) and not ledger.record(ChunkOutcome(6, 1, 0, ()))
    assert not ledger.record(ChunkFailure(6, "died again"))
    # a worker that dies after its last call returned blames that chunk: FAIL, same counts
    assert ledger.record(ChunkFailure(5, "the worker process exited between two chunks"))
    assert [f.chunk for f in ledger.failures] == [6, 5] and (ledger.inputs, ledger.mismatch_count) == (100, 2)
    assert ledger.tallies.keys() == {1} and ledger.checked.ranges() == [(5, 6)]


def test_dask_arguments_are_checked_before_any_work(capsys, monkeypatch):
    base = ["sweep", "--target", "torch", "--dtype", "float16", "--no-progress"]
    assert main(base + ["--task-chunks", "4"]) == 2
    assert "--task-chunks must be left out without a Dask scheduler" in capsys.readouterr().err
    assert main(base + ["--scheduler", "tcp://127.0.0.1:9", "--jobs", "2"]) == 2
    assert "--jobs must be left out with a scheduler address" in capsys.readouterr().err
    assert main(base + ["--scheduler", "local", "--task-chunks", "0"]) == 2
    assert "--task-chunks must be at least 1" in capsys.readouterr().err
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)  # Dask not installed
    with pytest.raises(UsageError, match=r"needs Dask: pip install 'tensor-quant-conformance\[dask"):
        sweep("torch", GRID, scheduler="local")


# -- on a Dask LocalCluster of 2 workers ----------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The address of a LocalCluster of 2 workers, started the way ``--scheduler local`` does.

    Its workers see ``$SWEEP_STALL_MARKER`` (see tests/targets/sweep/stalls_once_on_dask.py).
    """
    pytest.importorskip("distributed")
    from conformance.sweep.dask_engine import DaskEngine

    marker = tmp_path_factory.mktemp("dask") / "stalled"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEEP_STALL_MARKER", str(marker))
        engine = DaskEngine("local", workers=2)
    try:
        yield engine.cluster.scheduler_address, engine.client, marker
    finally:
        engine.close()


def test_a_localcluster_gives_the_local_verdict_exactly(cluster):
    address, _, _ = cluster
    local = sweep(BROKEN, GRID)
    dask = sweep(BROKEN, GRID, scheduler=address, task_chunks=3)
    assert dask.engine == f"Dask scheduler {address}" and dask.dashboard.startswith("http")
    assert dask.verdict == "FAIL" and same_results(local, dask) == {}


def test_a_section6_sweep_on_a_localcluster_gives_the_local_verdict_exactly(cluster):
    # sweep --function: the plan carries the function to the Dask workers' checkers.
    address, _, _ = cluster
    plan = grid_plan("float16", [Grid(amaxes=(None, 448.0, 2.5), amax_dtypes=("float32",))],
                     chunk_size=1 << 14, function="scaled_e4m3")
    local = sweep("tests.targets.sweep.e4m3_no_saturation", plan)
    dask = sweep("tests.targets.sweep.e4m3_no_saturation", plan, scheduler=address,
                 task_chunks=3)
    assert dask.verdict == "FAIL" and same_results(local, dask) == {}
    assert dask.mismatches[0].input_bits == "0x5f40"


def test_a_target_that_kills_its_process_fails_its_chunk_on_dask_too(cluster):
    address, _, _ = cluster
    plan = grid_plan("float16", [Grid(num_bits=(8,), unsigned=(False,), narrow_range=(True,),
                                      amaxes=(1.0, TRIGGER_AMAX, 2.0),
                                      amax_dtypes=("float32",))], chunk_size=1 << 16)
    report = sweep("tests.targets.sweep.exits_zero", plan, scheduler=address, task_chunks=1)
    assert [f.chunk for f in report.failures] == [1]
    assert "the worker process exited with status 0 during the target's" in (
        report.failures[0].cause)
    assert report.covered.ranges() == [(0, 1), (2, 3)] and report.verdict == "FAIL"


def test_a_stopped_dask_sweep_resumes_without_counting_a_chunk_twice(cluster, tmp_path):
    address, _, _ = cluster
    local = sweep(BROKEN, GRID)
    resume = str(tmp_path / "state.json")
    stopped = sweep(BROKEN, GRID, scheduler=address, task_chunks=1, fail_fast=True,
                    resume=resume)
    assert stopped.run_chunks < GRID.chunk_count and "fail-fast" in stopped.stopped
    rest = sweep(BROKEN, GRID, scheduler=address, task_chunks=1, resume=resume)
    assert rest.run_chunks == GRID.chunk_count - len(stopped.checked)
    assert same_results(local, rest) == {}
    # and the resume file is the engine's no more than the results are: finish it here
    assert sweep(BROKEN, GRID, resume=resume).run_chunks == 0


def test_a_dask_worker_killed_mid_chunk_loses_nothing(cluster):
    address, client, marker = cluster
    plan = grid_plan("float16", [Grid(num_bits=(2, 8), unsigned=(False,), narrow_range=(True,),
                                      amaxes=(1.0, TRIGGER_AMAX), amax_dtypes=("float32",))],
                     chunk_size=1 << 14)
    local = sweep(BROKEN, plan)  # the same kernel, which never stalls
    workers = set(client.run(os.getpid).values())
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault("report", sweep(
        "tests.targets.sweep.stalls_once_on_dask", plan, scheduler=address, task_chunks=2)))
    thread.start()
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(marker.read_text())
    assert pid in workers  # the call stalls in a Dask worker's supervised process
    os.kill(pid, signal.SIGKILL)
    thread.join(120)
    report = done["report"]
    assert report.failures == () and report.verdict == "FAIL"  # half-away ties, nothing else
    assert same_results(local, report) == {}
    assert pid not in set(client.run(os.getpid).values())  # that worker was replaced


def test_the_command_line_on_a_cluster_prints_the_dashboard(cluster, capsys, tmp_path):
    address, _, _ = cluster
    out = tmp_path / "report.json"
    assert main(["sweep", "--target", "torch", "--dtype", "float16", "--num-bits", "8",
                 "--sign", "signed", "--range", "narrow", "--amax", "1.0", "2.0",
                 "--amax-dtype", "float32", "--scheduler", address, "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"Dask scheduler {address}; Dask dashboard: http" in captured.err
    assert "configurations: 2 PASS, 0 FAIL, 0 INCOMPLETE" in captured.out
    data = json.loads(out.read_text())
    assert data["engine"] == f"Dask scheduler {address}" and data["verdict"] == "PASS"
