"""Descriptor methods (SPEC 6.2): ``==``, ``dict()``, ``to_yaml()``, ``from_yaml()``, ``str()``.

Upstream's quirks are the contract: a round trip loses ``narrow_range`` and
``calib_method``, ``==`` raises ValueError on multi-element amax arrays and
compares stored values in order, an int axis cannot be written to YAML,
``str()`` says ``full_range`` whenever amax is set and formats braces in a
name. Each descriptor is built in the reference and in the target from the
same arguments, every method is called on both (``vectors.expect``'s
``instance_outcomes``, one function for both sides), and the outcomes must
agree: the same exception type, or values of the same types, in the same
order, with the same bits, and the same YAML and ``str`` text.
"""

from __future__ import annotations

import contextlib
import logging
import math

import numpy as np
from hypothesis import strategies as st

import reference
from vectors.expect import (
    DESCRIPTOR_ATTRIBUTES,
    descriptor_attributes,
    descriptor_method_outcomes,
    expected,
    instance_outcomes,
)

from ..compare import first_mismatch
from ..strategies.descriptor import FIXED_KWARGS, FIXED_YAML, descriptor_kwargs, yaml_documents
from ._base import Property, fewer_examples, run_examples

__all__ = ["PROPERTIES", "outcome_mismatch", "replay_vector", "value_mismatch"]

#: How a reproduction shows each method's outcome.
_SHOWN = {"dict": "d.dict()", "to_yaml": "d.to_yaml()",
          "from_yaml": "type(d).from_yaml(d.to_yaml()).__dict__",
          "equals_round_trip": "d == type(d).from_yaml(d.to_yaml())",
          "equals_twin": "d == type(d)(**kwargs)", "equals_other": "d == type(d)(**other)",
          "str": "str(d)", "hash": "hash(d)"}


def value_mismatch(expected, actual, where: str) -> str | None:
    """Why ``actual`` is not ``expected``: types, order of keys, bits of floats and arrays."""
    if isinstance(expected, np.ndarray):
        if not isinstance(actual, np.ndarray):
            return f"{where} is {actual!r} ({type(actual).__name__}), but should be a " \
                   f"numpy.ndarray {expected!r}"
        mismatch = first_mismatch(expected, actual, name=where)
        return None if mismatch is None else str(mismatch)
    if type(actual) is not type(expected):
        return f"{where} is {actual!r} ({type(actual).__name__}), but should be {expected!r} " \
               f"({type(expected).__name__})"
    if isinstance(expected, dict):
        if list(actual) != list(expected):
            return f"{where} has the keys {list(actual)}, but should have {list(expected)} " \
                   "(in this order)"
        return next((m for k in expected
                     if (m := value_mismatch(expected[k], actual[k], f"{where}[{k!r}]"))), None)
    if isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            return f"{where} is {actual!r}, but should be {expected!r}"
        return next((m for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                     if (m := value_mismatch(e, a, f"{where}[{i}]"))), None)
    if isinstance(expected, float):
        same = (math.isnan(expected) and math.isnan(actual)) or (
            expected == actual and math.copysign(1, expected) == math.copysign(1, actual))
        return None if same else f"{where} is {actual!r}, but should be {expected!r}"
    return None if actual == expected else f"{where} is {actual!r}, but should be {expected!r}"


def outcome_mismatch(method: str, expected: dict, actual: dict) -> str | None:
    """Why one method's outcome differs: raised vs returned, or the values."""
    call = _SHOWN.get(method, method)
    if "raises" in expected or "raises" in actual:
        if expected.get("raises") == actual.get("raises"):
            return None
        did = f"raised {actual['raises']}" if "raises" in actual else "returned normally"
        should = f"raise {expected['raises']}" if "raises" in expected else "not raise"
        return f"{call} {did}, but should {should}"
    if "attributes" in expected:
        if "attributes" not in actual:
            return f"{call} returned {actual['returns']!r}, but should return a descriptor"
        return value_mismatch(_in_order(expected["attributes"]), actual["attributes"], call)
    if "returns" not in actual:
        return f"{call} returned a descriptor, but should return {expected['returns']!r}"
    return value_mismatch(expected["returns"], actual["returns"], call)


def _outcomes_mismatch(expected: dict, actual: dict) -> str | None:
    for method, outcome in expected.items():
        if method not in actual:
            return f"{_SHOWN.get(method, method)} was not reached (the target's to_yaml " \
                   "or from_yaml raised where the reference's does not)"
        message = outcome_mismatch(method, outcome, actual[method])
        if message is not None:
            return message
    extra = [m for m in actual if m not in expected]
    return None if not extra else (f"{_SHOWN.get(extra[0], extra[0])} was reached, but the "
                                   "reference raised before it")


@contextlib.contextmanager
def _quiet():
    """num_bits=0 logs an error by design (SPEC 1.3); keep it off the console here."""
    root, handler = logging.getLogger(), logging.NullHandler()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def _call(ctx, make, what):
    """``make()`` on the target with the per-call timeout; an exception is a value here."""
    def run():
        try:
            return make()
        except Exception as exc:
            return exc
    with _quiet():
        return ctx.caller(run, what=what)


def _snippet(ctx, lines, message):
    from ..repro import import_lines

    return "\n".join([f"# Rule broken: {ctx.rule}", f"# What happened: {message}",
                      "import numpy as np", "from numpy import array, inf, nan",
                      *import_lines(ctx.target), *lines])


def _accepted(kwargs) -> bool:
    try:
        with _quiet():
            reference.QuantDescriptor(**kwargs)
    except Exception:
        return False
    return True


def check_methods(ctx, kwargs, other=None):
    """Every method of a descriptor built from ``kwargs`` (and ``==`` with ``other``)."""
    if not _accepted(kwargs):
        return  # the constructor's own rules are descriptor_rules' to check
    other = other if other is not None and _accepted(other) else None
    with _quiet():
        want = descriptor_method_outcomes(reference.QuantDescriptor, kwargs, other)
    cls = ctx.target.descriptor
    got = _call(ctx, lambda: descriptor_method_outcomes(cls, kwargs, other),
                what=f"{cls.__name__} methods")
    message = (f"{cls.__name__}(**{kwargs!r}) raised {type(got).__name__}: {got}, but should "
               "be accepted" if isinstance(got, Exception) else _outcomes_mismatch(want, got))
    if message is not None:
        shown = [f"kwargs = {kwargs!r}", f"d = target.{cls.__name__}(**kwargs)"]
        if other is not None:
            shown.insert(1, f"other = {other!r}")
        ctx.fail(message, _snippet(ctx, shown + [f"print({_SHOWN[m]})" for m in want], message),
                 _vector(kwargs, other, want, ctx), "descriptor_methods")


def _vector(kwargs, other, want, ctx):
    from vectors import io

    from ..section6_calls import Call

    arguments = {"kwargs": kwargs} if other is None else {"kwargs": kwargs, "other": other}
    try:
        io.encode_value(arguments)
    except io.VectorFormatError:
        return None  # e.g. a numpy array argument of a dtype the format does not hold
    call = Call("descriptor_methods", {}, arguments)
    return call.vector(f"{ctx.target.name}_{ctx.property}".lower().replace(" ", "_"),
                       ctx.rule, io.Expected(methods=want))


def check_yaml(ctx, text: str):
    """``from_yaml(text)``: the same descriptor, or the same exception type."""
    with _quiet():
        want = expected("descriptor_from_yaml", {}, {"yaml": text})
    cls = ctx.target.descriptor
    got = _call(ctx, lambda: cls.from_yaml(text), what=f"{cls.__name__}.from_yaml()")
    message = _yaml_mismatch(want, got, cls)
    if message is not None:
        message = f"{cls.__name__}.from_yaml({text!r}): {message}"
        ctx.fail(message, _snippet(ctx, [f"d = target.{cls.__name__}.from_yaml({text!r})",
                                         "print(d.__dict__)"], message))


def _yaml_mismatch(want, got, cls) -> str | None:
    if want.raises is not None:
        if not isinstance(got, Exception):
            return f"returned a descriptor, but should raise {want.raises}"
        names = {c.__name__ for c in type(got).__mro__}
        return None if want.raises in names else \
            f"raised {type(got).__name__}: {got}, but should raise {want.raises}"
    if isinstance(got, Exception):
        return f"raised {type(got).__name__}: {got}, but should return a descriptor"
    if not isinstance(got, cls):
        return f"returned a {type(got).__name__}, but should return a {cls.__name__}"
    return value_mismatch(_in_order(want.attributes), descriptor_attributes(got), "descriptor")


def _in_order(attributes) -> dict:
    """Attributes in the article's order (a vector file stores them sorted by name)."""
    return {name: attributes[name] for name in DESCRIPTOR_ATTRIBUTES}


def check_predefined(ctx):
    for name, descriptor in reference.PREDEFINED.items():
        actual = getattr(ctx.target.obj, name, None)
        if actual is None:
            continue  # a target may expose the class without the predefined instances
        got = _call(ctx, lambda a=actual: instance_outcomes(a), what=f"{name} methods")
        message = (f"{name}'s methods raised {type(got).__name__}: {got}"
                   if isinstance(got, Exception)
                   else _outcomes_mismatch(instance_outcomes(descriptor), got))
        if message is not None:
            message = f"{name}: {message}"
            ctx.fail(message, _snippet(ctx, [f"d = target.{name}", "print(d.dict())",
                                             "print(d.to_yaml())"], message))


_PAIRS = st.tuples(descriptor_kwargs(), st.none() | descriptor_kwargs())
_DRAWN = st.one_of(_PAIRS.map(lambda pair: ("methods", pair)),
                   yaml_documents().map(lambda text: ("yaml", text)))


def check(ctx):
    for kwargs in FIXED_KWARGS:
        check_methods(ctx, kwargs, FIXED_KWARGS[1])
    for text in FIXED_YAML:
        check_yaml(ctx, text)
    check_predefined(ctx)

    def body(drawn):
        kind, value = drawn
        if kind == "yaml":
            check_yaml(ctx, value)
        else:
            check_methods(ctx, *value)

    # The fixed arguments and documents hold every quirk; drawn ones add combinations
    # (half the profile's examples: the ci gate's time budget is shared).
    run_examples(fewer_examples(ctx, 2), _DRAWN, body)


def replay_vector(ctx, vcase, expected_result) -> str | None:
    """Golden-vector replay of ``descriptor_methods`` and ``descriptor_from_yaml`` cases."""
    cls = ctx.target.descriptor
    if "descriptor_serialization" not in ctx.target.exposes:
        return None
    if vcase.function == "descriptor_from_yaml":
        text = vcase.arguments["yaml"]
        got = _call(ctx, lambda: cls.from_yaml(text), what=f"{cls.__name__}.from_yaml()")
        return _yaml_mismatch(expected_result, got, cls)
    kwargs, other = vcase.arguments["kwargs"], vcase.arguments.get("other")
    got = _call(ctx, lambda: descriptor_method_outcomes(cls, kwargs, other),
                what=f"{cls.__name__} methods")
    if expected_result.raises is not None:
        if isinstance(got, Exception) and expected_result.raises in \
                {c.__name__ for c in type(got).__mro__}:
            return None
        return f"{cls.__name__}(**{kwargs!r}) should raise {expected_result.raises}"
    if isinstance(got, Exception):
        return f"{cls.__name__}(**{kwargs!r}) raised {type(got).__name__}: {got}"
    return _outcomes_mismatch(dict(expected_result.methods), got)


PROPERTIES = [
    Property("descriptor_serialization",
             "QuantDescriptor's dict(), to_yaml(), from_yaml(), ==, str() and hash() behave as "
             "upstream's, quirks included: dict() keys and types in order, PyYAML's sorted "
             "text, narrow_range and calib_method lost on a round trip, ValueError from == on "
             "multi-element amax, TypeError from to_yaml() on an int axis, 'full_range' "
             "whenever amax is set, unhashable",
             frozenset({"descriptor_serialization"}), check),
]
