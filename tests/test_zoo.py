"""The zoo (tests/zoo) through the engine's ``ci`` profile: the proof that the suite can fail.

Every broken member must fail, and at least one property named in its
``CAUGHT_BY`` must fail with a counterexample (an ``error`` verdict does not
count: the check did not run). Every ``correct_*`` member must conform.

The default run checks each broken member against its ``CAUGHT_BY``
properties only; the full verdict over every property (marked ``slow``)
records which other properties fail too (``-rA`` or the junit ``failing``
property shows them), so a change in what catches a bug is visible. Members
with ``KNOWN_MISS`` document bugs the engine does not catch yet (strict xfail).
"""

from __future__ import annotations

import pytest

from conformance.properties import PROPERTIES
from tests.zoo import is_correct, known_miss, members, verdict
from tests.zoo import member as _module

MEMBERS = members()
PROPERTY_IDS = frozenset(PROPERTIES)


def _verdict_params():
    """One param per member; a member with ``KNOWN_MISS`` (a bug the engine is known not to
    catch yet) is a strict xfail, so the day the engine catches it the mark must go."""
    for name in MEMBERS:
        reason = known_miss(name)
        marks = [pytest.mark.xfail(reason=f"engine gap: {reason}", strict=True)] if reason else []
        yield pytest.param(name, marks=marks, id=name)


def _verdicts(report) -> str:
    lines = []
    for r in report.results:
        if r.status not in ("pass", "skip"):
            lines.append(f"  {r.property}: {r.status}: {r.reason}")
    return "\n".join(lines) or "  (every property passed)"


def test_the_zoo_has_enough_broken_and_correct_members():
    correct = [n for n in MEMBERS if not _module(n).CAUGHT_BY]
    assert len(MEMBERS) - len(correct) >= 30, f"only {len(MEMBERS) - len(correct)} broken members"
    assert len(correct) >= 2 and all(is_correct(n) for n in correct), correct


@pytest.mark.parametrize("name", MEMBERS)
def test_member_declares_its_bug(name):
    module = _module(name)
    assert module.__doc__ and "breaks" in module.__doc__ or is_correct(name), (
        f"tests/zoo/{name}.py: the docstring must name the bug and the SPEC rule it breaks")
    assert isinstance(module.CAUGHT_BY, frozenset)
    unknown = module.CAUGHT_BY - PROPERTY_IDS
    assert not unknown, f"{name}.CAUGHT_BY names unknown properties {sorted(unknown)}"
    assert bool(module.CAUGHT_BY) != is_correct(name)


def _caught(name, report):
    module = _module(name)
    failing = sorted(r.property for r in report.results if r.status == "fail")
    caught = sorted(module.CAUGHT_BY.intersection(failing))
    assert not report.conforms, f"broken member {name} conforms: its bug went unnoticed"
    assert caught, (
        f"{name}: none of CAUGHT_BY {sorted(module.CAUGHT_BY)} failed; "
        f"verdicts:\n{_verdicts(report)}")
    return failing, caught


@pytest.mark.parametrize("name", [n for n in MEMBERS if is_correct(n)])
def test_correct_member_conforms(name):
    report = verdict(name, profile="ci")
    assert report.conforms, f"correct member {name} does not conform:\n{_verdicts(report)}"


@pytest.mark.parametrize("name", [p for p in _verdict_params() if not is_correct(p.values[0])])
def test_broken_member_is_caught(name):
    """The quick proof: only the member's CAUGHT_BY properties, under the ci profile."""
    report = verdict(name, profile="ci", properties=sorted(_module(name).CAUGHT_BY))
    _caught(name, report)


@pytest.mark.slow
@pytest.mark.parametrize("name", [p for p in _verdict_params() if not is_correct(p.values[0])])
def test_broken_member_full_verdict(name, record_property):
    """Every property under the ci profile; records which others fail as well (slow: about
    10 s a member on a 2-core machine). ``python -m tests.zoo --matrix`` publishes the same
    verdicts for every member as one page (docs/kill-matrix.md)."""
    report = verdict(name, profile="ci")
    failing, caught = _caught(name, report)
    record_property("failing", ",".join(failing))
    others = sorted(set(failing) - _module(name).CAUGHT_BY)
    print(f"{name}: caught by {caught}; also fails {others}")


def test_kill_matrix_page_names_single_catches_misses_and_wrong_verdicts():
    """The page ``python -m tests.zoo --matrix`` writes, from made-up verdicts (no engine run)."""
    from tests.zoo._matrix import Row, render

    props = ["fake_per_tensor", "strided_inputs", "golden_vectors"]
    rows = [Row("round_floor", {"fake_per_tensor": "fail", "strided_inputs": "pass",
                                "golden_vectors": "skip"}, 1.0),
            Row("channels_last_reshape", dict.fromkeys(props, "pass"), 1.0),
            Row("narrow_range_ignored", {"fake_per_tensor": "pass", "strided_inputs": "pass",
                                         "golden_vectors": "fail"}, 1.0),
            Row("correct_where_masks", {**dict.fromkeys(props, "pass"),
                                        "golden_vectors": "fail"}, 1.0)]
    text, problems = render(rows, props, profile="quick", seed=None, jobs=1, elapsed=60.0,
                            missing=["round_half_away"])
    assert "| `round_floor` | X | . | - | fake_per_tensor |" in text
    assert "| `round_floor` | `fake_per_tensor` |" in text  # caught by exactly one
    assert any("PARTIAL" in p and "round_half_away" in p for p in problems)
    assert any("`channels_last_reshape` is caught by no property" in p for p in problems)
    assert any("correct member `correct_where_masks`" in p for p in problems)
    # its CAUGHT_BY does not name golden_vectors alone: a wrong CAUGHT_BY is a problem too
    wrong = [p for p in problems if p.startswith("`narrow_range_ignored`: none of its CAUGHT_BY")]
    assert len(wrong) == ("golden_vectors" not in _module("narrow_range_ignored").CAUGHT_BY)
