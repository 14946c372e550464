"""Run every applicable property against one target and collect the verdicts.

``run_target`` is the engine's one entry point, in the process that imported
the target (the supervised child of ``conformance.isolate``, or this process
with ``--in-process``, the pytest plugin's option and the engine's tests). A
property ends as ``pass``, ``fail`` (with a minimal counterexample, or
because the target hung, crashed or changed the process the oracle runs in),
``skip`` (with the reason), ``error`` (the check itself could not run, or the
target hung earlier), or, when the target declares the deviation in its
expectations file, ``xfail`` / ``xpass``. Only a deviation (a failure with a
counterexample) can be expected: a hang or a crash is never ``xfail``.

A target conforms when every property conforms, at least one property ran
(a run where every property was skipped checked nothing), and nothing
target-wide went wrong (``TargetReport.problems``, e.g. its import changed
the oracle's process, ``conformance.guard``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable

from hypothesis import reporting, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from . import guard
from .calls import DEFAULT_CALL_TIMEOUT, TargetAborted, TargetUnsupported, user_interrupted
from .errors import UsageError
from .expectations import load_expectations
from .profiles import PROFILES
from .properties import PROPERTIES, Caller, Context, Counterexample, Falsified, Skip, TargetHung
from .targets import semantics_for

__all__ = ["CONFORMING", "DEFAULT_CALL_TIMEOUT", "RAN", "PropertyResult", "TargetReport",
           "make_context", "run_target", "select_properties"]

#: Statuses under which a target still conforms.
CONFORMING = frozenset({"pass", "skip", "xfail"})
#: Statuses of a property that was checked (a verdict needs at least one).
RAN = frozenset({"pass", "fail", "xfail", "xpass"})


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
    problems: tuple[str, ...] = ()  # target-wide failures, outside any one property

    @property
    def all_problems(self) -> tuple[str, ...]:
        """``problems``, and "nothing was checked" when no property ran."""
        if any(r.status in RAN for r in self.results):
            return self.problems
        why = sorted({f"{r.property}: {r.reason}" if r.status == "error" else r.reason
                      for r in self.results})
        return self.problems + ("nothing was checked: no property ran ("
                                + "; ".join(why[:3]) + ("; ..." if len(why) > 3 else "")
                                + "), so there is no verdict to give",)

    @property
    def conforms(self) -> bool:
        return not self.all_problems and all(r.status in CONFORMING for r in self.results)

    def to_json(self) -> dict:
        return {"target": self.target, "name": self.name, "device": self.device,
                "profile": self.profile, "variations": list(self.variations),
                "strict": self.strict, "conforms": self.conforms,
                "problems": list(self.all_problems),
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


def _promises(parts) -> str:
    return f"the target promises {' and '.join(parts)} (CONFORMANCE_TARGET['exposes'])"


def _run_one(prop, ctx: Context, promised: frozenset = frozenset()) -> PropertyResult:
    """One property's verdict. A NotImplementedError skips it, unless the property needs a
    part the target promises: that part has lost a call the article defines (its own
    defaults, say), a defect as a missing part is."""
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
        refused = sorted(set(prop.requires) & promised)
        if refused:
            status, reason = "fail", (f"{_promises(refused)} but raised NotImplementedError "
                                      f"for a call the article defines: {exc}")
        else:
            status, reason = "skip", f"the target does not support a call it needs: {exc}"
    except BaseException as exc:  # noqa: B036 - a check must never take the run down
        if isinstance(exc, KeyboardInterrupt) and user_interrupted():
            raise
        falsified = _falsified(exc)
        if falsified is not None:
            status, counterexample = "fail", falsified.counterexample
            reason = counterexample.message
        elif isinstance(exc, TargetHung):
            status, reason = "fail", f"the target hung: {exc}"
        elif isinstance(exc, TargetAborted):
            status, reason = "fail", str(exc)
        elif ctx.unsupported and isinstance(exc, (FailedHealthCheck, Unsatisfiable)):
            # Nothing could be checked: a property that checked nothing must not pass.
            status, reason = "error", (
                f"the target raised NotImplementedError for (nearly) every example drawn, so "
                f"nothing could be checked; last: {ctx.unsupported[-1]}")
        elif not isinstance(exc, Exception):
            # The suite raises no SystemExit or KeyboardInterrupt (a Ctrl-C was re-raised
            # above): target code reached outside a call (e.g. a descriptor's property).
            status, reason = "fail", (f"the target raised {type(exc).__name__}({exc}): a kernel "
                                      "must never exit or interrupt its caller's program")
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


def make_context(target, *, device: str = "cpu", strict: bool = False,
                 call_timeout: float = DEFAULT_CALL_TIMEOUT, profile: str = "ci",
                 seed: int | None = None, on_example: Callable[[], None] | None = None
                 ) -> Context:
    """How checks call ``target`` and judge it: the one place a Context and its Caller are made."""
    return Context(target, device, semantics_for(target, strict=strict), Caller(call_timeout),
                   _settings(profile, seed), seed, on_example=on_example)


def run_target(target, *, device: str = "cpu", profile: str = "ci", seed: int | None = None,
               properties: Iterable[str] | None = None, strict: bool = False,
               call_timeout: float = DEFAULT_CALL_TIMEOUT,
               on_start: Callable[[str], None] | None = None,
               on_result: Callable[[PropertyResult], None] | None = None,
               on_example: Callable[[], None] | None = None) -> TargetReport:
    """Run the selected properties against ``target`` (a ``conformance.targets.Target``)."""
    names = select_properties(properties)
    ctx = make_context(target, device=device, strict=strict, call_timeout=call_timeout,
                       profile=profile, seed=seed, on_example=on_example)
    expectations = {} if strict else _expectations(target, device)
    # Compared after every property (what the target's import changed was compared, and
    # restored, when it was loaded under the process-wide guard).
    snapshot = guard.snapshot()
    results = []
    for name in names:
        prop = PROPERTIES[name]
        if on_start is not None:
            on_start(name)
        result = _result_for(prop, ctx, target, device, snapshot)
        result = _apply_expectation(result, expectations.get(name))
        results.append(result)
        if on_result is not None:
            on_result(result)
    return TargetReport(target.spec, target.name, device, profile, tuple(results),
                        tuple(target.variations), strict, guard.import_problems(target.spec))


def _result_for(prop, ctx, target, device, snapshot) -> PropertyResult:
    if device not in target.devices:
        return PropertyResult(prop.name, "skip", f"device {device} not in target devices "
                              f"({', '.join(target.devices)})", rule=prop.rule)
    missing = prop.missing(target.exposes)
    broken = sorted(set(missing) & target.promised)
    if broken:  # promised, so its absence is a defect, not a part left out
        return PropertyResult(prop.name, "fail", f"{_promises(broken)} but exposes no "
                              f"callable {' or '.join(broken)}", rule=prop.rule)
    if missing:
        return PropertyResult(prop.name, "skip", f"target exposes no {' or '.join(missing)}",
                              rule=prop.rule)
    caller = ctx.caller
    if caller.hung is not None:
        return PropertyResult(prop.name, "error", f"not run: the target hung earlier "
                              f"({caller.hung})", rule=prop.rule)
    result = _run_one(prop, ctx, target.promised)
    changed = snapshot.check()
    if changed:
        return _misbehaved(result, "the target changed the process the oracle runs in during "
                           "this property, so its checks cannot be trusted: "
                           + guard.changed_by(changed))
    if caller.hung is not None:
        # Whatever the check made of it (a property may catch the call's exception and
        # go on), a hang fails the property, and not as an expected deviation.
        return _misbehaved(result, f"the target hung: {caller.hung}")
    return result


def _misbehaved(result: PropertyResult, reason: str) -> PropertyResult:
    """``result`` turned into a failure that is the target's misbehaviour, not a deviation."""
    return dataclasses.replace(result, status="fail", reason=reason, counterexample=None,
                               vector=None)


def _apply_expectation(result: PropertyResult, expectation) -> PropertyResult:
    """A declared deviation turns fail into xfail, and a pass into xpass.

    Only a deviation, a failure with its counterexample, is expected: a target
    that hangs, crashes or changes the oracle's process fails whatever it declares.
    """
    if expectation is None:
        return result
    why = getattr(expectation, "reason", str(expectation))
    if result.status == "fail" and result.counterexample is not None:
        return dataclasses.replace(result, status="xfail",
                                   reason=f"expected deviation ({why}): {result.reason}")
    if result.status == "pass":
        return dataclasses.replace(result, status="xpass", reason=f"declared as a deviation "
                                   f"({why}) but it passes: update the expectations file")
    return result
