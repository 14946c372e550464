"""``python -m conformance run`` / ``replay``: exit codes, messages, reports, export and replay."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def conformance(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="120")
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=timeout)


def test_unknown_profile_exits_2():
    done = conformance("run", "--target", "torch", "--profile", "nope")
    assert done.returncode == 2 and "unknown profile 'nope'" in done.stderr


def test_a_target_that_cannot_be_imported_exits_2():
    done = conformance("run", "--target", "no_such_module_xyz")
    assert done.returncode == 2 and "cannot import target 'no_such_module_xyz'" in done.stderr


def test_unknown_property_exits_2():
    done = conformance("run", "--target", "torch", "--property", "nope")
    assert done.returncode == 2 and "unknown property nope" in done.stderr


def test_cuda_without_a_gpu_exits_2():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    done = conformance("run", "--target", "torch", "--device", "cuda")
    assert done.returncode == 2 and "no CUDA device found:" in done.stderr


def test_a_conforming_target_exits_0():
    done = conformance("run", "--target", "tests.targets.engine.correct", "--profile", "quick",
                       "--property", "fake_per_tensor", "--property", "descriptor_rules")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conforms" in done.stdout


@pytest.mark.parametrize("options, message", [
    (["--jobs", "0"], "--jobs 0: give 1 or more processes per target"),
    (["--jobs", "2", "--in-process"], "drop --jobs or --in-process"),
])
def test_bad_jobs_exit_2(options, message):
    done = conformance("run", "--target", "torch", *options)
    assert done.returncode == 2 and message in done.stderr


def test_the_verdicts_do_not_depend_on_how_many_processes_run_them(tmp_path):
    runs = {}
    names = ("fake_per_tensor", "errors", "ste_gradient", "descriptor_rules", "legacy_fake")
    for jobs in ("1", "3"):
        report = tmp_path / f"{jobs}.json"
        done = conformance("run", "--target", "tests.targets.engine.round_half_away",
                           "--profile", "quick", "--jobs", jobs, "--report", str(report),
                           *(a for name in names for a in ("--property", name)))
        assert done.returncode == 1, done.stderr[-2000:]
        runs[jobs] = [(r["property"], r["status"], r["examples"])
                      for r in json.loads(report.read_text())["targets"][0]["results"]]
    assert runs["1"] == runs["3"]
    assert "fake_per_tensor" in [p for p, status, _ in runs["1"] if status == "fail"]


def test_builtin_torch_passes_the_ci_profile():
    """The issue's headline check (its wall time is measured in the notes, not here)."""
    done = conformance("run", "--target", "torch", "--device", "cpu", "--profile", "ci")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_failures_are_reported_exported_and_replayed(tmp_path):
    vectors = tmp_path / "failures"
    done = conformance("run", "--target", "tests.targets.engine.full_range", "--target", "torch",
                       "--property", "fake_per_tensor", "--property", "ste_gradient",
                       "--profile", "ci", "--report", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"),
                       "--export-failures", str(vectors))
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "does not conform" in out and "Reproduction (paste into Python)" in out
    assert "Rule: fake_tensor_quant with one amax equals the reference" in out
    report = json.loads((tmp_path / "r.json").read_text())
    verdicts = {t["target"]: t["conforms"] for t in report["targets"]}
    assert verdicts == {"tests.targets.engine.full_range": False, "torch": True}
    assert (tmp_path / "r.xml").read_text().count("<failure") == 1
    files = list(vectors.glob("*.json"))
    assert files, out
    assert conformance("replay", str(vectors), "--target", "tests.targets.engine.full_range"
                       ).returncode == 1
    replayed = conformance("replay", str(vectors), "--target", "torch")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


def test_export_into_a_foreign_file_exits_2_and_leaves_it(tmp_path):
    vectors = tmp_path / "failures"
    vectors.mkdir()
    foreign = vectors / "failures_tests_targets_engine_round_half_away.json"  # not a vector
    foreign.write_text("{}")
    done = conformance("run", "--target", "tests.targets.engine.round_half_away", "--profile",
                       "quick", "--property", "quant_per_tensor", "--export-failures",
                       str(vectors))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--export-failures:" in done.stderr and "not" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert foreign.read_text() == "{}"


def test_replay_of_a_missing_folder_exits_2(tmp_path):
    done = conformance("replay", str(tmp_path / "none"), "--target", "torch")
    assert done.returncode == 2 and "no vector folder" in done.stderr


@pytest.mark.slow  # tests/test_hostile_targets.py covers crashes; this is the old --isolate flag
def test_isolate_is_still_accepted_and_survives_a_crashing_target():
    done = conformance("run", "--target", "tests.targets.engine.exits", "--target",
                       "tests.targets.engine.correct", "--isolate", "--profile", "quick",
                       "--property", "fake_per_tensor", "--property", "quant_per_tensor")
    assert done.returncode == 1
    assert "exited with status 3" in done.stdout


def test_pytest_gives_the_same_verdicts(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conformance.pytest_plugin", "--pyargs",
         "conformance", "--target", "tests.targets.engine.ste_strict", "--conformance-profile", "quick",
         "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
         "-k", "ste_gradient or descriptor_rules or quant_per_tensor"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "1 failed, 2 passed" in done.stdout, done.stdout[-2000:]
    assert "ste_strict::ste_gradient" in done.stdout and "Reproduction:" in done.stdout
