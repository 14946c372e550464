"""The suite as plain pytest: one test per (target, property), same verdicts as the CLI.

Use ``pytest -p conformance.pytest_plugin --pyargs conformance --target T``
from anywhere, or ``pytest --pyargs conformance --target T`` from the
repository root (pytest then loads the package's conftest, which loads this
plugin, before it reads the options). Without ``--target`` the tests are skipped and nothing else
changes. Each target is run once, in its own supervised process as by the
command line (``--conformance-in-process`` to import it into pytest's), for
the properties that were collected, so pass / fail / skip / xfail are exactly
the command line's; a failure prints the same reproduction. A target-wide
problem (its import changed the process the oracle runs in) fails every test
of the target.
"""

from __future__ import annotations

import dataclasses

import pytest

from .calls import DEFAULT_CALL_TIMEOUT, DEFAULT_IMPORT_TIMEOUT, seconds

__all__ = ["pytest_addoption", "pytest_generate_tests"]

_RUNS: dict = {}  # (target spec, device) -> {property: PropertyResult}
_SELECTED: dict = {}  # target spec -> properties collected for it


def pytest_addoption(parser):
    # Idempotent: both ``-p conformance.pytest_plugin`` and the package's conftest call it.
    group = parser.getgroup("conformance", "tensor_quant conformance targets")
    options = [
        ("--target", dict(action="append", default=[], metavar="T",
                          help="conformance target: MODULE, MODULE:ATTR or a registered name")),
        ("--conformance-device", dict(default="cpu", help="cpu (default) or cuda")),
        ("--conformance-profile", dict(default="ci", help="quick, ci or thorough")),
        ("--conformance-seed", dict(type=int, default=None, help="Hypothesis seed")),
        ("--conformance-strict", dict(action="store_true",
                                      help="ignore declared variations and expectations")),
        ("--conformance-call-timeout", dict(type=seconds, default=DEFAULT_CALL_TIMEOUT,
                                            help="seconds one call may take")),
        ("--conformance-import-timeout", dict(type=seconds, default=DEFAULT_IMPORT_TIMEOUT,
                                              help="seconds importing a target may take")),
        ("--conformance-in-process", dict(action="store_true",
                                          help="import the targets into pytest's process")),
    ]
    for name, kwargs in options:
        if not _has_option(parser, name):
            group.addoption(name, **kwargs)


def _has_option(parser, name) -> bool:
    try:
        return any(name in opt.names() for opt in parser._anonymous.options) or any(
            name in opt.names() for group in parser._groups for opt in group.options)
    except AttributeError:  # pytest internals moved: assume it is free
        return False


def pytest_generate_tests(metafunc):
    if "conformance_property" not in metafunc.fixturenames:
        return
    from .properties import PROPERTIES

    targets = metafunc.config.getoption("--target") or []
    params = [pytest.param(t, p, id=f"{t}::{p}") for t in targets for p in PROPERTIES]
    if not params:
        params = [pytest.param(None, None, id="no-target",
                               marks=pytest.mark.skip(reason="give --target T to check a target"))]
    metafunc.parametrize(("conformance_target", "conformance_property"), params)


def pytest_collection_modifyitems(config, items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("conformance_target"):
            _SELECTED.setdefault(callspec.params["conformance_target"], []).append(
                callspec.params["conformance_property"])


def result_for(config, spec: str, name: str):
    """The runner's verdict on ``name`` for target ``spec`` (one run per target)."""
    from .devices import check_device
    from .isolate import run_supervised

    device = config.getoption("--conformance-device")
    key = (spec, device)

    def run(properties):
        # Every run of a target, first or late, with the same options: profile, seed,
        # strictness and timeouts all count.
        return run_supervised(
            spec, in_process=config.getoption("--conformance-in-process"),
            import_timeout=config.getoption("--conformance-import-timeout"), device=device,
            properties=properties, profile=config.getoption("--conformance-profile"),
            seed=config.getoption("--conformance-seed"),
            strict=config.getoption("--conformance-strict"),
            call_timeout=config.getoption("--conformance-call-timeout"))

    def verdicts(report):
        if not report.problems:
            return {r.property: r for r in report.results}
        why = "the target does not conform: " + "\n".join(report.problems)
        return {r.property: dataclasses.replace(r, status="fail", reason=why)
                for r in report.results}

    if key not in _RUNS:
        check_device(device)
        _RUNS[key] = verdicts(run(_SELECTED.get(spec) or [name]))
    if name not in _RUNS[key]:  # not collected up front (e.g. a rerun plugin)
        _RUNS[key].update(verdicts(run([name])))
    return _RUNS[key][name]


def assert_conforms(result) -> None:
    """Turn a PropertyResult into the pytest outcome of the same name."""
    if result.status == "pass":
        return
    if result.status == "skip":
        pytest.skip(result.reason)
    if result.status == "xfail":
        pytest.xfail(result.reason)
    text = f"{result.status.upper()}: {result.rule}\n{result.reason}"
    if result.counterexample is not None:
        text += "\n\nReproduction:\n" + result.counterexample.reproduction
    pytest.fail(text, pytrace=False)
