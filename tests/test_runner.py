"""The runner: skips with reasons, hung and crashing targets, expectations, reports."""

import dataclasses
import json
import re
import types
import xml.etree.ElementTree as ET

import pytest

from conformance.isolate import run_supervised
from conformance.runner import CONFORMING, run_target
from conformance.targets import TargetError, load_target
from conformance.verdicts import write_json, write_junit


def _target(name):
    return load_target(f"tests.targets.engine.{name}")


def test_properties_skip_with_the_missing_part_named():
    report = run_target(_target("fake_only"), profile="quick",
                        properties=["quant_per_tensor", "descriptor_rules", "degenerate_shapes"])
    reasons = {r.property: (r.status, r.reason) for r in report.results}
    assert reasons["quant_per_tensor"] == ("skip", "target exposes no tensor_quant")
    assert reasons["descriptor_rules"] == ("skip", "target exposes no descriptor")
    assert reasons["degenerate_shapes"] == ("pass", "")
    assert report.conforms  # skips with at least one property checked


def test_a_promised_part_that_is_missing_fails_instead_of_skipping():
    # The built-in target with tensor_quant lost (mutants 90/92 of benchmarks/mutation): it
    # promises the whole API, so the properties that need the lost part fail.
    target = dataclasses.replace(load_target("torch"), tensor_quant=None)
    report = run_target(target, profile="quick",
                        properties=["quant_per_tensor", "descriptor_rules"])
    reasons = {r.property: (r.status, r.reason) for r in report.results}
    assert reasons["quant_per_tensor"] == (
        "fail", "the target promises tensor_quant (CONFORMANCE_TARGET['exposes']) but exposes "
                "no callable tensor_quant")
    assert reasons["descriptor_rules"][0] == "pass"
    assert not report.conforms


def test_a_promised_part_that_raises_not_implemented_fails_instead_of_skipping():
    # A part that lost every call the article defines (a refactor that left a stub):
    # promised, that is a failure; unpromised, a target may leave calls out (a skip).
    builtin = load_target("torch")

    def refuses(inputs, min_range, max_range, num_bits=8):
        raise NotImplementedError("affine quantization is not finished")

    for promised, status in ((builtin.promised, "fail"), (frozenset(), "skip")):
        target = dataclasses.replace(builtin, fake_affine_tensor_quant=refuses,
                                     promised=promised)
        result = run_target(target, profile="quick", properties=["affine_values"]).results[0]
        assert result.status == status, result.reason
        assert "affine quantization is not finished" in result.reason
        assert ("promises fake_affine_tensor_quant" in result.reason) == (status == "fail")


def test_scaled_e4m3_raising_not_implemented_for_e4m3_fails_even_unpromised():
    # Mutant 173 of benchmarks/mutation: the format check inverted (``E == 4``). For
    # scaled_e4m3, NotImplementedError is the article's answer to the other formats, so
    # raising it for E=4, M=3 is a wrong answer, whatever the target promises.
    builtin = load_target("torch")

    def refuses(inputs, amax=None, E=4, M=3):
        raise NotImplementedError("Only support E=4 & M=3 for now.")

    for promised in (builtin.promised, frozenset()):
        target = dataclasses.replace(builtin, scaled_e4m3=refuses, promised=promised)
        result = run_target(target, profile="quick", properties=["e4m3_values"]).results[0]
        assert result.status == "fail", result.reason
        assert "should not raise" in result.reason


@pytest.mark.parametrize("exposes, fix", [
    ("tensor_quant", "must be a tuple of names"),
    (("tensor_quant", "quantize"), "unknown parts ['quantize']"),
])
def test_a_bad_promise_is_a_usage_error_that_names_the_parts(monkeypatch, exposes, fix):
    module = types.ModuleType("promises_badly")
    module.fake_tensor_quant = load_target("torch").fake_tensor_quant
    module.CONFORMANCE_TARGET = {"exposes": exposes}
    monkeypatch.setitem(__import__("sys").modules, "promises_badly", module)
    with pytest.raises(TargetError, match=re.escape(fix)) as info:
        load_target("promises_badly")
    assert "fake_tensor_quant, tensor_quant, descriptor" in str(info.value)  # the choices


def test_a_device_the_target_does_not_support_is_skipped():
    report = run_target(_target("cpu_only"), device="cuda", properties=["fake_per_tensor"])
    result = report.results[0]
    assert result.status == "skip" and result.reason.startswith("device cuda not in target")
    # ... and a run in which nothing ran gives no verdict: it does not conform.
    assert not report.conforms
    assert report.all_problems[0].startswith("nothing was checked: no property ran (device cuda")


def test_a_hung_call_fails_its_property_and_the_run_goes_on():
    report = run_target(_target("hangs"), profile="quick", call_timeout=0.5,
                        properties=["fake_per_tensor", "errors"])
    first, second = report.results
    assert first.status == "fail" and "did not return within 0.5 s" in first.reason
    assert second.status == "error" and "hung earlier" in second.reason
    assert not report.conforms


def test_a_hang_a_property_swallows_still_fails_it():
    # output_device leaves a call's exceptions to the errors property, TargetHung included.
    report = run_target(_target("hangs"), profile="quick", call_timeout=0.5,
                        properties=["output_device"])
    (result,) = report.results
    assert result.status == "fail" and "did not return within 0.5 s" in result.reason


def test_a_hang_is_never_an_expected_deviation(monkeypatch):
    monkeypatch.setattr("conformance.runner.load_expectations",
                        lambda path, device=None: {"fake_per_tensor": _Expectation("declared")})
    target = dataclasses.replace(_target("hangs"), expectations="declared.toml")
    report = run_target(target, profile="quick", call_timeout=0.5, properties=["fake_per_tensor"])
    assert report.results[0].status == "fail"


def test_a_property_that_changes_the_oracles_process_fails_and_it_is_restored(monkeypatch):
    import numpy as np

    rint = np.rint
    target = _target("correct")

    def fake(inputs, amax, *args):
        np.rint = lambda x, *a, **k: x  # replaced during a call
        return target.fake_tensor_quant(inputs, amax, *args)

    report = run_target(dataclasses.replace(target, fake_tensor_quant=fake), profile="quick",
                        properties=["fake_per_tensor", "degenerate_shapes"])
    first, second = report.results
    assert first.status == "fail" and "numpy.rint was replaced" in first.reason
    assert np.rint is rint  # restored after each property
    assert second.status == "fail"


class _Expectation:
    def __init__(self, reason):
        self.reason = reason


def test_expected_deviations_become_xfail_and_passes_xpass(monkeypatch):
    fake = types.ModuleType("conformance.expectations")
    fake.load_expectations = lambda path, device=None: {
        "ste_gradient": _Expectation("mask is strict"),
        "amax_no_gradient": _Expectation("stale entry")}
    monkeypatch.setattr("conformance.runner.load_expectations", fake.load_expectations)
    target = dataclasses.replace(_target("ste_strict"), expectations="declared.toml")
    report = run_target(target, properties=["ste_gradient", "amax_no_gradient"])
    statuses = {r.property: r.status for r in report.results}
    assert statuses == {"ste_gradient": "xfail", "amax_no_gradient": "xpass"}
    assert "xfail" in CONFORMING and not report.conforms  # an xpass breaks conformance


def test_strict_ignores_expectations(monkeypatch):
    fake = types.ModuleType("conformance.expectations")
    fake.load_expectations = lambda path, device=None: {"ste_gradient": _Expectation("x")}
    monkeypatch.setattr("conformance.runner.load_expectations", fake.load_expectations)
    target = dataclasses.replace(_target("ste_strict"), expectations="declared.toml")
    report = run_target(target, properties=["ste_gradient"], strict=True)
    assert report.results[0].status == "fail"


def test_supervised_reports_os_exit_as_the_running_property_and_goes_on():
    report = run_supervised("tests.targets.engine.exits", profile="quick",
                            properties=["fake_per_tensor", "quant_per_tensor"])
    crashed, survived = report.results
    assert crashed.status == "fail" and "exited with status 3" in crashed.reason
    assert crashed.rule  # the rule broken is named even though the process died
    assert survived.status == "pass"


def test_supervised_reports_a_segfault():
    report = run_supervised("tests.targets.engine.segfaults", profile="quick",
                            properties=["fake_per_tensor", "quant_per_tensor", "errors"])
    statuses = [(r.property, r.status) for r in report.results]
    assert statuses[0] == ("fake_per_tensor", "pass")
    assert statuses[1] == ("quant_per_tensor", "fail")
    assert "SIGSEGV" in report.results[1].reason
    assert len(report.results) == 3


@pytest.mark.slow
def test_supervised_gives_the_same_verdicts_as_in_process():
    names = ["ste_gradient", "descriptor_rules"]
    inside = run_target(_target("ste_strict"), properties=names)
    outside = run_supervised("tests.targets.engine.ste_strict", properties=names)
    assert [r.status for r in inside.results] == [r.status for r in outside.results]
    assert inside.results[0].reason == outside.results[0].reason


def test_json_and_junit_reports(tmp_path):
    report = run_target(_target("ste_strict"), properties=["ste_gradient", "quant_per_tensor"])
    write_json([report], tmp_path / "r.json")
    write_junit([report], tmp_path / "r.xml")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["conforms"] is False
    result = {r["property"]: r for r in data["targets"][0]["results"]}["ste_gradient"]
    assert result["status"] == "fail" and "inputs.grad" in result["counterexample"]["reproduction"]
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite.get("failures") == "1" and suite.get("tests") == "2"


def test_an_unknown_property_is_a_usage_error():
    from conformance.errors import UsageError

    with pytest.raises(UsageError, match="unknown property"):
        run_target(_target("correct"), properties=["nope"])


def test_the_caller_turns_exits_and_interrupts_into_the_targets_failure():
    import sys

    from conformance.calls import Caller, TargetAborted

    caller = Caller(5)
    for raised in (lambda: sys.exit(0), lambda: (_ for _ in ()).throw(KeyboardInterrupt)):
        with pytest.raises(TargetAborted, match="a kernel must never exit or interrupt"):
            caller(raised, what="fake_tensor_quant()")
    assert caller(lambda: 7) == 7


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "3"])
def test_a_caller_needs_a_positive_finite_timeout(bad):
    from conformance.calls import Caller

    with pytest.raises(ValueError, match="finite number of seconds above 0"):
        Caller(bad)


def test_the_watch_keeps_the_outer_calls_deadline(tmp_path):
    from conformance.calls import Watch

    watch = Watch.create(str(tmp_path / "w"), what="importing the target", timeout=9)
    assert watch.read()[3] == "importing the target" and watch.read()[1] == 9
    child_side = Watch(str(tmp_path / "w"), call_timeout=2)
    child_side.begin("fake_tensor_quant()")
    child_side.begin("inner()")
    child_side.end()
    deadline, timeout, _beat, what = watch.read()
    assert (timeout, what) == (2, "fake_tensor_quant()") and deadline > 0
    child_side.end()
    assert watch.read()[0] == 0  # between calls: no deadline
