"""Run every applicable property against one target and collect the verdicts.

``run_target`` is the engine's one entry point (the CLI, the pytest plugin
and the isolated worker all call it). A property ends as ``pass``, ``fail``
(with a minimal counterexample), ``skip`` (with the reason), ``error`` (the
check itself could not run, or the target hung earlier), or, when the target
declares the deviation in its expectations file, ``xfail`` / ``xpass``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable

from hypothesis import reporting, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from .calls import DEFAULT_CALL_TIMEOUT, TargetUnsupported
from .errors import UsageError
from .expectations import load_expectations
from .profiles import PROFILES
from .properties import PROPERTIES, Caller, Context, Counterexample, Falsified, Skip, TargetHung
from .targets import semantics_for

__all__ = ["DEFAULT_CALL_TIMEOUT", "PropertyResult", "TargetReport", "run_target",
           "select_properties"]

#: Statuses under which a target still conforms.
CONFORMING = frozenset({"pass", "skip", "xfail"})


@dataclasses.dataclass(frozen=True)
class PropertyResult:
    """The verdict of one property on one target."""

    property: str
    status: str
    reason: str = ""
    counterexample: Counterexample | None = None
    duration: float = 0.0
    rule: str = ""
    examples: int = 0
    vector: dict | None = dataclasses.field(default=None, repr=False)  # for --export-failures

    def to_json(self) -> dict:
        data = {k: getattr(self, k) for k in ("property", "status", "reason", "duration",
                                              "rule", "examples", "vector")}
        ce = self.counterexample
        data["counterexample"] = None if ce is None else {
            "property": ce.property, "rule": ce.rule, "message": ce.message,
            "reproduction": ce.reproduction, "function": ce.function}
        return data

    @classmethod
    def from_json(cls, data: dict) -> PropertyResult:
        ce = data.get("counterexample")
        counterexample = None if ce is None else Counterexample(
            ce["property"], ce["rule"], ce["message"], ce["reproduction"],
            function=ce.get("function"))
        return cls(data["property"], data["status"], data.get("reason", ""), counterexample,
                   data.get("duration", 0.0), data.get("rule", ""), data.get("examples", 0),
                   data.get("vector"))


@dataclasses.dataclass(frozen=True)
class TargetReport:
    """Every property's verdict on one target, on one device."""

    target: str  # the spec the target was named by
    name: str
    device: str
    profile: str
    results: tuple[PropertyResult, ...]
    variations: tuple[str, ...] = ()
    strict: bool = False

    @property
    def conforms(self) -> bool:
        return all(r.status in CONFORMING for r in self.results)

    def to_json(self) -> dict:
        return {"target": self.target, "name": self.name, "device": self.device,
                "profile": self.profile, "variations": list(self.variations),
                "strict": self.strict, "conforms": self.conforms,
                "results": [r.to_json() for r in self.results]}


def select_properties(names: Iterable[str] | None) -> list[str]:
    """The property names to run, in registry order; UsageError names unknown ones."""
    if not names:
        return list(PROPERTIES)
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise UsageError(f"unknown property {', '.join(unknown)}; choose from "
                         f"{', '.join(PROPERTIES)}.")
    return [n for n in PROPERTIES if n in set(names)]


def _settings(profile: str, seed: int | None) -> settings:
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}.")
    base = PROFILES[profile]
    # No example database (a run must not depend on the machine's history); one
    # minimal failure per property; an explicit seed overrides derandomization.
    return settings(base, database=None, report_multiple_bugs=False,
                    derandomize=base.derandomize and seed is None)


def _expectations(target, device: str | None = None) -> dict:
    """Known deviations the target declares (empty when it declares none)."""
    if not target.expectations:
        return {}
    return load_expectations(target.expectations, device)


def _falsified(exc: BaseException) -> Falsified | None:
    """The Falsified inside ``exc`` (Hypothesis may wrap it in a flaky-failure group)."""
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, Falsified):
            return e
        stack += list(getattr(e, "exceptions", ()) or ()) + [e.__cause__, e.__context__]
    return None


def _run_one(prop, ctx: Context) -> PropertyResult:
    counter = {"examples": 0}
    user_hook = ctx.on_example

    def on_example():
        counter["examples"] += 1
        if user_hook is not None:
            user_hook()

    ctx = dataclasses.replace(ctx, property=prop.name, rule=prop.rule, on_example=on_example,
                              unsupported=[])
    start = time.perf_counter()
    status, reason, counterexample = "pass", "", None
    try:
        with reporting.with_reporter(lambda _text: None):
            prop.check(ctx)
    except Skip as exc:
        status, reason = "skip", str(exc)
    except TargetUnsupported as exc:
        status, reason = "skip", f"the target does not support a call it needs: {exc}"
    except BaseException as exc:  # noqa: B036 - a check must never take the run down
        if isinstance(exc, KeyboardInterrupt):
            raise
        falsified = _falsified(exc)
        if falsified is not None:
            status, counterexample = "fail", falsified.counterexample
            reason = counterexample.message
        elif isinstance(exc, TargetHung):
            status, reason = "fail", f"the target hung: {exc}"
        elif ctx.unsupported and isinstance(exc, (FailedHealthCheck, Unsatisfiable)):
            # Nothing could be checked: a property that checked nothing must not pass.
            status, reason = "error", (
                f"the target raised NotImplementedError for (nearly) every example drawn, so "
                f"nothing could be checked; last: {ctx.unsupported[-1]}")
        else:
            status, reason = "error", f"the check itself raised {type(exc).__name__}: {exc}"
    return PropertyResult(prop.name, status, reason, counterexample,
                          time.perf_counter() - start, prop.rule, counter["examples"],
                          _vector(counterexample, ctx.target.name))


def _vector(counterexample, target_name):
    """The failure as a golden-vector object, when it is one call (never fatal)."""
    if counterexample is None:
        return None
    try:
        from .repro import to_vector

        return to_vector(counterexample, target_name)
    except Exception:  # exporting is a convenience; the verdict stands without it
        return None


def run_target(target, *, device: str = "cpu", profile: str = "ci", seed: int | None = None,
               properties: Iterable[str] | None = None, strict: bool = False,
               call_timeout: float = DEFAULT_CALL_TIMEOUT,
               on_start: Callable[[str], None] | None = None,
               on_result: Callable[[PropertyResult], None] | None = None,
               on_example: Callable[[], None] | None = None) -> TargetReport:
    """Run the selected properties against ``target`` (a ``conformance.targets.Target``)."""
    names = select_properties(properties)
    hypothesis_settings = _settings(profile, seed)
    semantics = semantics_for(target, strict=strict)
    expectations = {} if strict else _expectations(target, device)
    caller = Caller(call_timeout)
    ctx = Context(target, device, semantics, caller, hypothesis_settings, seed,
                  on_example=on_example)
    results = []
    for name in names:
        prop = PROPERTIES[name]
        if on_start is not None:
            on_start(name)
        result = _result_for(prop, ctx, target, device, caller)
        result = _apply_expectation(result, expectations.get(name))
        results.append(result)
        if on_result is not None:
            on_result(result)
    return TargetReport(target.spec, target.name, device, profile, tuple(results),
                        tuple(target.variations), strict)


def _result_for(prop, ctx, target, device, caller) -> PropertyResult:
    if device not in target.devices:
        return PropertyResult(prop.name, "skip", f"device {device} not in target devices "
                              f"({', '.join(target.devices)})", rule=prop.rule)
    missing = prop.missing(target.exposes)
    if missing:
        return PropertyResult(prop.name, "skip", f"target exposes no {' or '.join(missing)}",
                              rule=prop.rule)
    if caller.hung is not None:
        return PropertyResult(prop.name, "error", f"not run: the target hung earlier "
                              f"({caller.hung})", rule=prop.rule)
    return _run_one(prop, ctx)


def _apply_expectation(result: PropertyResult, expectation) -> PropertyResult:
    """A declared deviation turns fail into xfail, and a pass into xpass."""
    if expectation is None:
        return result
    why = getattr(expectation, "reason", str(expectation))
    if result.status == "fail":
        return dataclasses.replace(result, status="xfail",
                                   reason=f"expected deviation ({why}): {result.reason}")
    if result.status == "pass":
        return dataclasses.replace(result, status="xpass", reason=f"declared as a deviation "
                                   f"({why}) but it passes: update the expectations file")
    return result
