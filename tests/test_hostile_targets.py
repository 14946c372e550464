"""Targets that misbehave as careless or hostile kernels do, through the command line.

Every case must end with the documented exit code and a clear message, never
exit 0 for a kernel that is broken or was never checked, and leave the other
targets of the same run with their right verdicts. The targets are in
``tests/targets/hostile/``; ``tests.targets.engine.correct`` (or the built-in
``torch``) is the bystander whose verdict must not change.

Most cases share a few runs (module-scoped fixtures), one test per case
reading its verdict from the run's JSON report.
"""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HOSTILE = "tests.targets.hostile."
CORRECT = "tests.targets.engine.correct"
QUICK = ("--profile", "quick")


def conformance(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=timeout)
    done.seconds = time.monotonic() - start
    return done


def _verdicts(path):
    """``{target spec: target JSON}`` of a --report file."""
    return {t["target"]: t for t in json.loads(pathlib.Path(path).read_text())["targets"]}


def _statuses(target) -> dict:
    return {r["property"]: r["status"] for r in target["results"]}


def _reasons(target) -> str:
    return " ".join([r["reason"] for r in target["results"]] + target["problems"])


# -- one supervised run with many misbehaving targets -----------------------------------

SUPERVISED = ["exits_in_call", "exits_via_sys_exit_in_call", "interrupts_in_call",
              "stderr_at_import", "debug_lines", "holds_the_gil", "hangs_expected",
              "thread_at_import", "cuda_only", "ansi_name", "patches_rint", "patches_reference",
              "seterr_raise", "flushes_denormals", "patches_torch_round", "default_float64"]


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    """``run`` over every target of SUPERVISED, then torch and a correct target: ``(run, verdicts)``.

    One run for all these tests, also when pytest-xdist spreads them over workers
    (the first worker to get here runs it, under a lock; the others read its result).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with open(shared / "hostile-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved = shared / "hostile-run.json"
        if not saved.exists():
            targets = [a for name in SUPERVISED for a in ("--target", HOSTILE + name)]
            report = shared / "hostile-report.json"
            done = conformance("run", *targets, "--target", "torch", "--target", CORRECT, *QUICK,
                               "--property", "fake_per_tensor", "--call-timeout", "3",
                               "--report", str(report), timeout=900)
            saved.write_text(json.dumps({
                "returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                "verdicts": _verdicts(report) if report.exists() else {}}))
        data = json.loads(saved.read_text())
    return subprocess.CompletedProcess((), data["returncode"], data["stdout"],
                                       data["stderr"]), data["verdicts"]


def _hostile(supervised, name):
    return supervised[1][HOSTILE + name]


def test_the_bystanders_conform_and_the_run_exits_1(supervised):
    done, verdicts = supervised
    assert done.returncode == 1, done.stderr[-3000:]
    for spec in ("torch", CORRECT):
        assert verdicts[spec]["conforms"], verdicts[spec]
        assert set(_statuses(verdicts[spec]).values()) == {"pass"}
    assert set(verdicts) == {HOSTILE + n for n in SUPERVISED} | {"torch", CORRECT}


def test_os_exit_0_in_a_call_fails_the_property_and_never_passes(supervised):
    target = _hostile(supervised, "exits_in_call")
    assert not target["conforms"]
    assert _statuses(target) == {"fake_per_tensor": "fail"}
    assert "exited with status 0 while running this property" in _reasons(target)


@pytest.mark.parametrize("name, raised", [("exits_via_sys_exit_in_call", "SystemExit"),
                                          ("interrupts_in_call", "KeyboardInterrupt")])
def test_system_exit_and_keyboard_interrupt_in_a_call_are_the_targets_failure(supervised, name,
                                                                             raised):
    target = _hostile(supervised, name)
    assert not target["conforms"] and _statuses(target)["fake_per_tensor"] == "fail"
    assert f"raised {raised}" in _reasons(target)
    assert "the check itself" not in _reasons(target)


@pytest.mark.parametrize("name", ["stderr_at_import", "debug_lines", "thread_at_import"])
def test_output_floods_and_threads_at_import_do_not_block_a_correct_kernel(supervised, name):
    target = _hostile(supervised, name)
    assert target["conforms"], _reasons(target)
    assert set(_statuses(target).values()) == {"pass"}
    assert all(r["examples"] > 0 for r in target["results"])  # the checks really ran


def test_a_loop_holding_the_gil_is_killed_at_the_call_timeout(supervised):
    target = _hostile(supervised, "holds_the_gil")
    assert _statuses(target) == {"fake_per_tensor": "fail"}
    assert "did not return within 3 s" in _reasons(target)
    assert target["results"][0]["duration"] < 60  # not the old 120 s stall limit


def test_a_hang_is_never_an_expected_deviation(supervised):
    target = _hostile(supervised, "hangs_expected")
    assert _statuses(target) == {"fake_per_tensor": "fail"}
    assert "xfail" not in json.dumps(target)


def test_a_run_where_every_property_is_skipped_does_not_conform(supervised):
    target = _hostile(supervised, "cuda_only")
    assert set(_statuses(target).values()) == {"skip"}
    assert not target["conforms"]
    assert any("nothing was checked" in p for p in target["problems"])


def test_a_hostile_name_is_escaped_in_every_log_line(supervised):
    done, _ = supervised
    assert "\x1b[31m" not in done.stderr + done.stdout
    assert "\\x1b[31mred[/] [bold]kernel\\nfake_per_tensor: pass\\x1b[0m [cpu] fake_per_tensor: " \
        in done.stderr
    assert not any(line.startswith("fake_per_tensor: pass") for line in done.stderr.splitlines())


@pytest.mark.parametrize("name, changed", [
    ("patches_rint", "numpy.rint was replaced"),
    ("patches_reference", "reference.fake_tensor_quant was replaced"),
    ("seterr_raise", "numpy.seterr"),
    ("flushes_denormals", "flushing of subnormals"),
])
def test_a_target_that_changes_what_the_oracle_relies_on_does_not_conform(supervised, name,
                                                                          changed):
    target = _hostile(supervised, name)
    assert not target["conforms"]
    assert any(changed in p and "importing the target changed" in p
               for p in target["problems"]), target["problems"]


@pytest.mark.parametrize("name", ["patches_torch_round", "default_float64"])
def test_torch_changes_stay_in_the_targets_own_process(supervised, name):
    # The target's own verdict is its business (it is judged as it runs in a user's
    # program); the built-in torch target, run after it, must still conform.
    assert _hostile(supervised, name)["problems"] == []
    assert supervised[1]["torch"]["conforms"]


def test_a_hang_inside_output_device_fails_it(tmp_path):
    # output_device leaves exceptions to the errors property; a hang is not one.
    done = conformance("run", "--target", "tests.targets.engine.hangs", "--target", CORRECT,
                       *QUICK, "--property", "output_device", "--call-timeout", "2",
                       "--report", str(tmp_path / "r.json"))
    assert done.returncode == 1, done.stderr[-3000:]
    verdicts = _verdicts(tmp_path / "r.json")
    assert _statuses(verdicts["tests.targets.engine.hangs"]) == {"output_device": "fail"}
    assert verdicts[CORRECT]["conforms"]


# -- in process: the same protections where they can exist ------------------------------

IN_PROCESS = ["patches_torch_round", "default_float64", "patches_rint", "flushes_denormals",
              "interrupts_in_call"]


# Every target is imported before any runs, so the order matters only for what calls
# change: the second order is in the slow run.
@pytest.mark.parametrize("order", ["hostile first",
                                   pytest.param("hostile last", marks=pytest.mark.slow)])
def test_in_process_a_target_cannot_change_what_another_computes(tmp_path, order):
    hostile = [a for name in IN_PROCESS for a in ("--target", HOSTILE + name)]
    targets = hostile + ["--target", "torch"] if order == "hostile first" else \
        ["--target", "torch"] + hostile
    done = conformance("run", "--in-process", *targets, *QUICK, "--property", "fake_per_tensor",
                       "--report", str(tmp_path / "r.json"))
    assert done.returncode == 1, done.stderr[-3000:]  # not 130 for the KeyboardInterrupt
    verdicts = _verdicts(tmp_path / "r.json")
    assert verdicts["torch"]["conforms"], _reasons(verdicts["torch"])
    for name in ("patches_rint", "flushes_denormals", "interrupts_in_call"):
        assert not verdicts[HOSTILE + name]["conforms"]
    assert "raised KeyboardInterrupt" in _reasons(verdicts[HOSTILE + "interrupts_in_call"])


def test_in_process_hangs_threads_and_busy_torch_calls_end_with_a_verdict(tmp_path):
    done = conformance("run", "--in-process", "--target", "tests.targets.engine.hangs",
                       "--target", HOSTILE + "hangs_expected",
                       "--target", HOSTILE + "busy_torch_call",
                       "--target", HOSTILE + "thread_at_import", "--target", CORRECT, *QUICK,
                       "--property", "output_device", "--call-timeout", "1",
                       "--report", str(tmp_path / "r.json"), timeout=240)
    assert done.returncode == 1, done.stderr[-3000:]  # not 134, and it ended
    verdicts = _verdicts(tmp_path / "r.json")
    for spec in ("tests.targets.engine.hangs", HOSTILE + "hangs_expected",
                 HOSTILE + "busy_torch_call"):
        assert _statuses(verdicts[spec]) == {"output_device": "fail"}, verdicts[spec]
        assert "did not return within 1 s" in _reasons(verdicts[spec])
    assert verdicts[HOSTILE + "thread_at_import"]["conforms"]
    assert verdicts[CORRECT]["conforms"]
    assert done.seconds < 200


def test_a_system_exit_from_target_code_outside_a_call_is_named_as_the_targets():
    from conformance.runner import run_target
    from conformance.targets import load_target

    report = run_target(load_target(HOSTILE + "exits_in_descriptor_property"),
                        properties=["descriptor_rules"], profile="quick")
    (result,) = report.results
    assert result.status == "fail"
    assert result.reason.startswith("the target raised SystemExit(3)")


# -- imports that end, hang or interrupt: usage errors before any work ------------------

@pytest.mark.parametrize("name, message", [
    ("exits_at_import", "ended its process: the target's process exited with status 0"),
    ("sys_exit_at_import", "raised SystemExit(0)"),
    ("interrupts_at_import", "raised KeyboardInterrupt"),
    ("no_devices", "devices must name one or more of cpu, cuda, got ()"),
    ("bad_expectations_encoding", "not_utf8.toml is not valid TOML (UTF-8 text)"),
    ("expectations_folder", "cannot be read"),
])
@pytest.mark.parametrize("mode", [(), ("--in-process",)], ids=["supervised", "in-process"])
def test_a_target_that_cannot_be_imported_stops_the_run_with_exit_2(name, message, mode):
    if name == "exits_at_import" and mode:
        pytest.skip("in process, os._exit ends the run itself (the reason to supervise)")
    done = conformance("run", "--target", CORRECT, "--target", HOSTILE + name, *mode, *QUICK,
                       "--property", "fake_per_tensor")
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert message in done.stderr and HOSTILE + name in done.stderr
    assert "conforms" not in done.stdout  # no work was done


def test_a_hanging_import_ends_at_the_import_timeout():
    done = conformance("run", "--target", CORRECT, "--target", HOSTILE + "hangs_at_import",
                       *QUICK, "--import-timeout", "3")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "did not finish within 3 s" in done.stderr and "--import-timeout" in done.stderr
    assert done.seconds < 120


# -- fingerprint, replay, report --------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("tests.targets.engine.hangs", "did not return within 2 s"),
    (HOSTILE + "exits_in_call", "exited with status 0"),
    (HOSTILE + "holds_the_gil", "did not return within 2 s"),
])
def test_fingerprint_of_a_misbehaving_target_exits_1(name, message):
    done = conformance("fingerprint", "--target", name, "--call-timeout", "2")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert message in done.stderr and "no fingerprint" in done.stderr
    assert done.seconds < 120


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    """A folder with three cases of the shipped article vectors."""
    from vectors.io import load_file, write_cases

    folder = tmp_path_factory.mktemp("vectors")
    write_cases(load_file(ROOT / "vectors" / "data" / "article.json")[:3], folder)
    return folder


def test_replay_goes_on_past_crashing_and_hanging_targets(vectors):
    done = conformance("replay", str(vectors), "--target", "tests.targets.engine.hangs",
                       "--target", HOSTILE + "exits_in_call", "--target", CORRECT,
                       "--call-timeout", "2")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "HUNG" in out and "did not return within 2 s" in out and "not run" in out
    assert "CRASHED" in out and "exited with status 0" in out
    assert f"{CORRECT} [cpu]: " in out and "all match" in out.split(f"{CORRECT} [cpu]: ")[1]


def test_replay_against_a_target_no_case_applies_to_exits_1(tmp_path):
    from vectors.io import load_all, write_cases

    write_cases([c for c in load_all() if c.function == "descriptor"][:3], tmp_path)
    done = conformance("replay", str(tmp_path), "--target", "tests.targets.engine.fake_only")
    assert done.returncode == 1 and "nothing was replayed" in done.stdout


@pytest.mark.parametrize("document, message", [
    ({"format": "tensor-quant-vectors/1", "cases": {"a": 1}}, '"cases" must be a list'),
    ({"format": "tensor-quant-vectors/1", "cases": ["nope"]}, "does not follow"),
    ({"format": "tensor-quant-vectors/1", "cases": [{"id": "x", "rule": "r",
                                                    "function": "fake_tensor_quant",
                                                    "inputs": [], "arguments": {},
                                                    "expected": {}}]}, "does not follow"),
])
def test_replay_of_a_file_with_the_format_tag_but_a_wrong_structure_exits_2(tmp_path, document,
                                                                            message):
    (tmp_path / "bad.json").write_text(json.dumps(document))
    done = conformance("replay", str(tmp_path), "--target", CORRECT)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "bad.json" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_report_of_a_crashing_target_exits_1_and_says_so(tmp_path):
    done = conformance("report", "--target", HOSTILE + "exits_in_call", "--target", CORRECT,
                       "--out", str(tmp_path), *QUICK, timeout=900)
    assert done.returncode == 1, done.stderr[-3000:]
    data = json.loads((tmp_path / "report.json").read_text())
    crashed, correct = data["targets"]
    assert "exited with status 0" in crashed.get("skipped", "") + json.dumps(crashed)
    assert correct["declared"]["conforms"] and correct["strict"]["conforms"]


# -- bad options and outputs: exit 2 before any work ------------------------------------

@pytest.mark.parametrize("value", ["nan", "0", "-5", "inf", "soon"])
@pytest.mark.parametrize("command", ["run", "replay", "fingerprint"])
def test_a_call_timeout_that_is_not_a_positive_number_exits_2(command, value, tmp_path):
    first = [str(tmp_path)] if command == "replay" else []
    done = conformance(command, *first, "--target", CORRECT, f"--call-timeout={value}")
    assert done.returncode == 2, done.stderr
    assert "--call-timeout" in done.stderr and "Traceback" not in done.stderr


def test_report_on_a_device_that_does_not_exist_exits_2(tmp_path):
    done = conformance("report", "--target", CORRECT, "--device", "tpu", "--out", str(tmp_path))
    assert done.returncode == 2 and "unknown device 'tpu'" in done.stderr
    assert not (tmp_path / "report.json").exists()


@pytest.mark.parametrize("option, where, message", [
    ("--report", "missing/r.json", "does not exist"),
    ("--junit", ".", "that is a folder"),
    ("--export-failures", "file.txt", "that is a file"),
])
def test_an_output_that_cannot_be_written_exits_2_before_any_work(tmp_path, option, where,
                                                                  message):
    (tmp_path / "file.txt").write_text("")
    done = conformance("run", "--target", CORRECT, *QUICK, option, str(tmp_path / where))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and option in done.stderr
    assert "conforms" not in done.stdout and done.seconds < 60


def test_fingerprint_json_that_cannot_be_written_exits_2(tmp_path):
    done = conformance("fingerprint", "--target", CORRECT, "--json", str(tmp_path / "no" / "f.json"))
    assert done.returncode == 2 and "--json" in done.stderr and "does not exist" in done.stderr


def test_fingerprint_of_a_target_that_supports_no_call_exits_1():
    done = conformance("fingerprint", "--target", "tests.targets.engine.not_implemented")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "nothing was observed" in done.stderr


def _children_with(marker: str) -> list[int]:
    """Processes whose command line holds ``marker`` (a child's job names its call timeout)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "conformance.isolate" in cmdline and marker in cmdline:
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(not pathlib.Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("jobs", ["1", "3"])
def test_ctrl_c_ends_the_run_with_130_and_no_child_outlives_it(jobs):
    import signal

    marker = f"59.012{jobs}"  # a --call-timeout no other run uses
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--target",
                            "tests.targets.engine.hangs", *QUICK, "--call-timeout", marker,
                            "--jobs", jobs],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    deadline = time.monotonic() + 120
    while not _children_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _children_with(marker), "the target's process never started"
    time.sleep(1)
    run.send_signal(signal.SIGINT)
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 130 and "interrupted" in err
    time.sleep(0.5)
    assert _children_with(marker) == []


def test_an_idle_or_spinning_child_outside_calls_counts_as_hung_but_a_busy_one_does_not():
    from conformance.isolate import _Quiet

    quiet = _Quiet(os.getpid())
    now = time.monotonic()
    assert quiet.stalled(1.0, now, idle=60, busy=600) is None  # first look: progress
    assert quiet.stalled(1.0, now + 59, idle=60, busy=600) is None
    assert quiet.stalled(1.0, now + 61, idle=60, busy=600).startswith("sat idle for 61 s")
    assert quiet.stalled(2.0, now + 62, idle=60, busy=600) is None  # a beat: count afresh
    end = time.process_time() + 1.5
    while time.process_time() < end:  # this process computes: slow, but not stalled
        pass
    assert quiet.stalled(2.0, now + 200, idle=60, busy=600) is None
    assert quiet.stalled(2.0, now + 200, idle=60, busy=1).startswith("computed for")


@pytest.mark.slow
def test_a_hang_in_target_code_outside_any_call_is_killed_when_the_child_sits_idle(tmp_path):
    done = conformance("run", "--target", HOSTILE + "hangs_in_descriptor_property",
                       "--target", CORRECT, *QUICK, "--property", "descriptor_rules",
                       "--call-timeout", "2", "--report", str(tmp_path / "r.json"))
    assert done.returncode == 1, done.stderr[-3000:]
    verdicts = _verdicts(tmp_path / "r.json")
    hung = verdicts[HOSTILE + "hangs_in_descriptor_property"]
    assert _statuses(hung) == {"descriptor_rules": "fail"}
    assert "sat idle for" in _reasons(hung) and "outside any call" in _reasons(hung)
    assert verdicts[CORRECT]["conforms"]


def test_a_hang_in_one_share_of_the_properties_leaves_the_others_running(tmp_path):
    # --jobs 2: each process runs half of the properties; a hang ends only its own half.
    report = tmp_path / "r.json"
    done = conformance("run", "--target", "tests.targets.engine.hangs", *QUICK, "--jobs", "2",
                       "--property", "fake_per_tensor", "--property", "fake_per_channel",
                       "--property", "errors", "--call-timeout", "2", "--report", str(report))
    assert done.returncode == 1, done.stderr[-2000:]
    statuses = _statuses(_verdicts(report)["tests.targets.engine.hangs"])
    # fake_per_tensor and errors share a process: the first hangs, the second is not run;
    # fake_per_channel, in the other process, hangs on its own.
    assert statuses == {"fake_per_tensor": "fail", "fake_per_channel": "fail", "errors": "error"}
