"""The runner: skips with reasons, hung and crashing targets, expectations, reports."""

import dataclasses
import json
import types
import xml.etree.ElementTree as ET

import pytest

from conformance.isolate import run_target_isolated
from conformance.runner import CONFORMING, run_target
from conformance.targets import load_target
from conformance.verdicts import write_json, write_junit


def _target(name):
    return load_target(f"tests.targets.engine.{name}")


def test_properties_skip_with_the_missing_part_named():
    report = run_target(_target("fake_only"), profile="quick",
                        properties=["quant_per_tensor", "descriptor_rules"])
    reasons = {r.property: (r.status, r.reason) for r in report.results}
    assert reasons["quant_per_tensor"] == ("skip", "target exposes no tensor_quant")
    assert reasons["descriptor_rules"] == ("skip", "target exposes no descriptor")
    assert report.conforms


def test_a_device_the_target_does_not_support_is_skipped():
    report = run_target(_target("cpu_only"), device="cuda", properties=["fake_per_tensor"])
    result = report.results[0]
    assert result.status == "skip" and result.reason.startswith("device cuda not in target")


def test_a_hung_call_fails_its_property_and_the_run_goes_on():
    report = run_target(_target("hangs"), profile="quick", call_timeout=0.5,
                        properties=["fake_per_tensor", "errors"])
    first, second = report.results
    assert first.status == "fail" and "did not return within 0.5 s" in first.reason
    assert second.status == "error" and "hung earlier" in second.reason
    assert not report.conforms


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


def test_isolate_reports_os_exit_as_the_running_property_and_goes_on():
    report = run_target_isolated("tests.targets.engine.exits", name="exits", profile="quick",
                                 properties=["fake_per_tensor", "quant_per_tensor"])
    crashed, survived = report.results
    assert crashed.status == "fail" and "exited with status 3" in crashed.reason
    assert crashed.rule  # the rule broken is named even though the process died
    assert survived.status == "pass"


def test_isolate_reports_a_segfault():
    report = run_target_isolated("tests.targets.engine.segfaults", name="segfaults", profile="quick",
                                 properties=["fake_per_tensor", "quant_per_tensor", "errors"])
    statuses = [(r.property, r.status) for r in report.results]
    assert statuses[0] == ("fake_per_tensor", "pass")
    assert statuses[1] == ("quant_per_tensor", "fail")
    assert "SIGSEGV" in report.results[1].reason
    assert len(report.results) == 3


@pytest.mark.slow
def test_isolate_gives_the_same_verdicts_as_in_process():
    names = ["ste_gradient", "descriptor_rules"]
    inside = run_target(_target("ste_strict"), properties=names)
    outside = run_target_isolated("tests.targets.engine.ste_strict", name="x", properties=names)
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
