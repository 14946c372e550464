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
    assert missing["skipped"] and "Not run:" in page
    variations = (tmp_path / "variations.md").read_text()
    assert "`ste_multiply_mask`" in variations and "\\|x\\|" in variations


def test_report_needs_an_existing_folder(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "nope")]) == 2
    assert "create it first" in capsys.readouterr().err
