"""The report command writes the Markdown page, the JSON, the plot and the variations page."""

import json

import pytest

from conformance.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_report_writes_page_json_plot_and_variations(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the report's plots need the extra [report]")
    rc = main(["report", "--target", "tests.targets.variations.half_away",
               "--target", "no_such_module_for_the_report", "--out", str(tmp_path),
               "--profile", "quick"])
    assert rc == 0
    page = (tmp_path / "report.md").read_text()
    data = json.loads((tmp_path / "report.json").read_text())
    half_away, missing = data["targets"]
    assert half_away["fingerprint"]["fits"]
    assert half_away["fingerprint"]["variations"] == ["round_half_away"]
    assert "## Findings" in page and "`round_half_away`" in page
    assert (tmp_path / half_away["plot"]).read_bytes().startswith(b"\x89PNG")
    assert f"]({half_away['plot']})" in page
    assert missing["skipped"] and "## Not run" in page and "no_such_module_for_the_report" in page
    assert "### Affine (`fake_affine_tensor_quant`)" in page  # one table per family
    assert "| `tests.targets.variations.half_away` |" in page and "| n/a |" in page
    variations = (tmp_path / "variations.md").read_text()
    assert "`ste_multiply_mask`" in variations and "\\|x\\|" in variations


def test_report_needs_an_existing_folder(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "nope")]) == 2
    assert "create it first" in capsys.readouterr().err


def test_report_output_paths_are_checked_before_any_work(tmp_path, capsys):
    (tmp_path / "report.md").mkdir()
    assert main(["report", "--target", "no_such_module_for_the_report",
                 "--out", str(tmp_path)]) == 2
    assert "report.md: that is a folder" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()


def test_a_target_that_hangs_is_reported_not_waited_for(tmp_path, monkeypatch):
    # The fingerprint step used to call the target directly: a hang hung the report.
    # (The suite's own runs have their per-call timeout; they are stubbed out here.)
    from conformance.report import build
    from conformance.report.markdown import report_page
    from conformance.runner import TargetReport

    seen_timeouts = []

    def run_target(target, *, device, profile, strict=False, call_timeout):
        seen_timeouts.append(call_timeout)
        return TargetReport(target.spec, target.name, device, profile, (), (), strict)

    monkeypatch.setattr(build, "run_target", run_target)
    entry = build.target_entry("tests.targets.sweep.hangs", device="cpu", profile="quick",
                         out=str(tmp_path), call_timeout=2.0)
    fp = entry["fingerprint"]
    assert not fp["fits"] and "did not return within 2 s" in fp["failed"]
    assert entry["fingerprint_per_tensor"] is None  # no search over a partial observation
    assert seen_timeouts == [2.0, 2.0]
    page = report_page({"command": "report", "profile": "quick", "device": "cpu",
                        "targets": [entry]})
    assert "**not fingerprinted**: the target hung" in page
    assert "**no fingerprint**: the target hung" in page


def _entry(declared, strict, exposes=("fake_tensor_quant",)):
    def results(statuses):
        return {"results": [{"property": p, "status": s, "reason": ""}
                            for p, s in statuses.items()]}
    return {"spec": "t", "exposes": list(exposes), "declared": results(declared),
            "strict": results(strict)}


def test_cells_tell_not_applicable_and_variations_apart():
    from conformance.report.markdown import cell

    e = _entry({"fake_per_tensor": "pass", "ste_gradient": "pass", "errors": "xfail",
                "e4m3_values": "skip", "strided_inputs": "skip", "deterministic": "fail"},
               {"fake_per_tensor": "pass", "ste_gradient": "fail", "errors": "fail",
                "e4m3_values": "skip", "strided_inputs": "skip", "deterministic": "fail"})
    assert [cell(e, p) for p in ("fake_per_tensor", "ste_gradient", "errors", "e4m3_values",
                                 "strided_inputs", "deterministic")] == [
        "pass", "pass (var.)", "xfail", "n/a", "skip", "**FAIL**"]


def test_every_registered_property_has_a_table():
    from conformance.properties import PROPERTIES
    from conformance.report.markdown import FAMILIES, families

    placed = {p for members in FAMILIES.values() for p in members}
    assert set(PROPERTIES) <= placed  # a new property is placed in a family, not in "Other"
    assert families(["fake_per_tensor", "brand_new"])["Other"] == ["brand_new"]


def test_default_targets_are_the_built_ins_then_every_adapter():
    from conformance.report.build import default_targets
    from conformance.targets import available_targets

    targets = default_targets()
    assert targets[:3] == ["torch", "triton", "cupy"]
    assert sorted(targets) == sorted(available_targets())


def test_report_takes_the_run_commands_execution_options(tmp_path, capsys):
    # --call-timeout and --in-process mean what they mean for `run`; a bad one is exit 2
    assert main(["report", "--out", str(tmp_path), "--call-timeout", "-1"]) == 2
    assert "--call-timeout" in capsys.readouterr().err
    assert main(["report", "--out", str(tmp_path), "--jobs", "2", "--in-process"]) == 2
    assert "drop --jobs or --in-process" in capsys.readouterr().err


def test_a_target_for_another_device_is_listed_as_not_run(tmp_path):
    import dataclasses

    from conformance.report.build import target_entry
    from conformance.targets import load_target

    cuda_only = dataclasses.replace(load_target("tests.targets.engine.correct"),
                                    devices=("cuda",))
    entry = target_entry(cuda_only, device="cpu", profile="quick", out=str(tmp_path))
    assert "runs on cuda only" in entry["skipped"] and "--device cuda" in entry["skipped"]
