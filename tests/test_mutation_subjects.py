"""benchmarks/mutation: the subjects of run.py and the reference's wrapper target.

Fast (a few gate runs of one property each): the wrapper conforms over the pristine
reference, the gate catches a copy of the reference with a broken rounding, and run.py
refuses to start when the gate fails the unmutated tree.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from conformance.runner import CONFORMING, run_target
from conformance.targets import load_target

ROOT = pathlib.Path(__file__).resolve().parents[1]
GATE = ROOT / "benchmarks" / "mutation" / "gate.py"
WRAPPER = "benchmarks.mutation.reference_target"
run = importlib.import_module("benchmarks.mutation.run")


def _gate(tmp_path, package, *properties, variations=""):
    """The gate's exit status on the wrapper over ``package`` (a folder in tmp_path)."""
    env = dict(os.environ, TQ_WRAPPED_REFERENCE=package, TQ_WRAPPED_VARIATIONS=variations,
               PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    command = [sys.executable, str(GATE), "--target", WRAPPER, "--profile", "quick"]
    for name in properties:
        command += ["--property", name]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def _copy_reference(tmp_path, name, *, replace=None):
    """A copy of reference/ named ``name``, with ``replace = (file, old, new)`` applied."""
    dest = tmp_path / name
    shutil.copytree(ROOT / "reference", dest, ignore=shutil.ignore_patterns("__pycache__"))
    if replace:
        path, old, new = replace
        text = (dest / path).read_text()
        assert text.count(old) == 1, old
        (dest / path).write_text(text.replace(old, new))
    return name


def test_subjects():
    assert sorted(run.SUBJECTS) == ["reference", "torch"]
    reference = run.SUBJECTS["reference"]
    assert reference.target == WRAPPER
    assert all(p.startswith("mutant_reference/") for p in reference.paths)
    assert run.SUBJECTS["torch"].paths == ("conformance/builtin/torch_tensor_quant.py",)


def test_reference_subject_prepares_and_restores_its_copy(tmp_path):
    subject = run.SUBJECTS["reference"]
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    subject.prepare(tmp_path)
    for path in subject.paths:
        assert (tmp_path / path).read_text() == (ROOT / path.replace("mutant_", "")).read_text()
    (tmp_path / subject.paths[0]).write_text("mutated")
    subject.restore(tmp_path)
    assert (tmp_path / subject.paths[0]).read_text() != "mutated"


def test_gate_environment():
    reference, torch_subject = run.SUBJECTS["reference"], run.SUBJECTS["torch"]
    assert reference.gate_env(None) == "env TQ_WRAPPED_REFERENCE=mutant_reference "
    assert "TQ_WRAPPED_VARIATIONS=round_half_away" in reference.gate_env("round_half_away")
    assert torch_subject.gate_env(None) == ""
    with pytest.raises(SystemExit):
        torch_subject.gate_env("round_half_away")  # the torch target declares none


def test_wrapper_conforms_over_the_pristine_reference():
    target = load_target(WRAPPER)
    assert target.variations == ()
    report = run_target(target, profile="quick",
                        properties=["fake_per_tensor", "quant_per_channel", "ste_gradient"])
    assert [r.status in CONFORMING for r in report.results] == [True] * 3, report.all_problems


def test_gate_judges_a_copy_of_the_reference(tmp_path):
    assert _gate(tmp_path, _copy_reference(tmp_path, "copied_reference"),
                 "fake_per_tensor").returncode == 0
    broken = _copy_reference(tmp_path, "broken_reference", replace=(
        "quantize.py", 'if rounding == "half_even":', 'if rounding == "never":'))  # truncates
    caught = _gate(tmp_path, broken, "fake_per_tensor")
    assert caught.returncode == 1 and "caught by fake_per_tensor" in caught.stdout


def test_a_declared_variation_reaches_its_lines(tmp_path):
    # A broken half-away rounding: the article never runs it, round_half_away does.
    broken = _copy_reference(tmp_path, "half_away_broken", replace=(
        "quantize.py", "truncated + xp.sign(wide)", "truncated"))
    assert _gate(tmp_path, broken, "fake_per_tensor").returncode == 0
    assert _gate(tmp_path, broken, "fake_per_tensor",
                 variations="round_half_away").returncode == 1


def test_run_refuses_when_the_gate_fails_the_unmutated_tree(capsys):
    args = argparse.Namespace(
        variations=None, per_mutant=60, profile="quick", device="cpu")
    broken = run.Subject("broken", ("x.py",), "no_such_module_for_the_gate")
    with pytest.raises(SystemExit, match="does not pass the unmutated tree"):
        run._baseline(broken, ROOT, args)
