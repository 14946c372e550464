"""Descriptor rules (SPEC.md section 1), when the target exposes a descriptor class."""

from __future__ import annotations

import logging

import numpy as np
from hypothesis import strategies as st

import reference
from vectors.expect import DESCRIPTOR_ATTRIBUTES

from ..calls import TargetHung
from ..compare import first_mismatch
from ._base import Property, run_examples

# Each case exercises one rule, or two rules at once to pin the order (the first wins).
CASES = [
    ((), {}), ((8,), {}), ((0,), {}), ((1,), {}), ((16,), {}), ((True,), {}), ((-1,), {}),
    ((2.0,), {}), ((np.int64(8),), {}), (("8",), {}), ((None,), {}),
    ((), {"num_bits": -1, "name": 5}), ((), {"num_bits": 2.0, "name": 5}),
    ((), {"name": "w"}), ((), {"name": 5}), ((), {"name": b"w"}),
    ((), {"axis": 0}), ((), {"axis": (1, 2)}), ((), {"axis": -1}),
    ((), {"learn_amax": True}), ((), {"learn_amax": True, "axis": 0}),
    ((), {"learn_amax": True, "axis": None}), ((), {"learn_amax": True, "axis": 0, "amax": 1}),
    ((), {"amax": 1.0}), ((), {"amax": [1.0, 2.5]}), ((), {"amax": np.array([0.5, 3.0])}),
    ((), {"amax": 1}), ((), {"amax": np.float32(1.0)}), ((), {"amax": np.float64(1.5)}),
    ((), {"amax": None}), ((), {"amax": 0.1}), ((), {"amax": (1.0, 2.0)}),
    ((), {"scale_amax": 2.0}), ((), {"calib_method": "histogram"}), ((), {"unsigned": True}),
    ((), {"narrow_range": True}), ((), {"fake_quant": False}), ((), {"foo": 1}),
    ((), {"foo": 1, "amax": 1}), ((), {"num_bits": -1, "foo": 1}), ((-2,), {"learn_amax": True, "axis": 0}),
    ((), {"name": 5, "learn_amax": True, "axis": 1}),
]


class _Errors(logging.Handler):
    """Counts ERROR records from any logger while a descriptor is built."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += 1


def build(make):
    """``(descriptor or exception, logged an error?)``."""
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        return make(), handler.count > 0
    except TargetHung:
        raise
    except Exception as exc:
        return exc, handler.count > 0
    finally:
        root.removeHandler(handler)


def attribute_mismatch(expected, actual, where="descriptor") -> str | None:
    """The first read-only property of ``actual`` that differs from ``expected``."""
    for name in DESCRIPTOR_ATTRIBUTES:
        e = getattr(expected, name) if not isinstance(expected, dict) else expected[name]
        try:
            a = getattr(actual, name)
        except Exception as exc:
            return f"{where}.{name} raised {type(exc).__name__}: {exc}"
        if isinstance(e, np.ndarray):
            if not isinstance(a, np.ndarray):
                return f"{where}.{name} is {a!r} ({type(a).__name__}), but should be a " \
                       f"numpy.ndarray {e!r}"
            mismatch = first_mismatch(e, a, name=f"{where}.{name}")
            if mismatch is not None:
                return str(mismatch)
        elif type(a) is not type(e) or a != e:
            return f"{where}.{name} is {a!r} ({type(a).__name__}), but should be {e!r}"
    return None


def _call_text(args, kwargs) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"QuantDescriptor({', '.join(parts)})"


def _check_one(ctx, args, kwargs):
    import torch  # noqa: F401  (a reproduction may name tensors)

    expected, expected_logged = build(lambda: reference.QuantDescriptor(*args, **kwargs))
    actual, actual_logged = ctx.caller(lambda: build(lambda: ctx.target.descriptor(*args,
                                                                                   **kwargs)),
                                       what="QuantDescriptor()")
    call = _call_text(args, kwargs)
    message = None
    if isinstance(expected, Exception):
        if not isinstance(actual, Exception):
            message = f"{call} was accepted, but should raise {type(expected).__name__} " \
                      f"({expected})"
        elif not isinstance(actual, type(expected)):
            message = f"{call} raised {type(actual).__name__}: {actual}, but should raise " \
                      f"{type(expected).__name__} ({expected})"
    elif isinstance(actual, Exception):
        message = f"{call} raised {type(actual).__name__}: {actual}, but should be accepted"
    else:
        message = attribute_mismatch(expected, actual)
        if message is None and expected_logged and not actual_logged:
            message = f"{call} logged no error, but num_bits=0 must be accepted with an " \
                      "error logged"
        if message:
            message = f"{call}: {message}"
    if message:
        line = f"d = target.{call.replace('QuantDescriptor(', ctx.target.descriptor.__name__ + '(')}"
        ctx.fail(message, _snippet(ctx, line, message))


def _snippet(ctx, line, message):
    from ..repro import import_lines

    return "\n".join([f"# Rule broken: {ctx.rule}", f"# What happened: {message}",
                      "import numpy as np", "from numpy import array", *import_lines(ctx.target),
                      line.replace("QuantDescriptor(", f"{ctx.target.descriptor.__name__}("),
                      "print(d)"])


def _check_predefined(ctx):
    for name, expected in reference.PREDEFINED.items():
        actual = getattr(ctx.target.obj, name, None)
        if actual is None:
            continue  # a target may expose the class without the predefined instances
        message = attribute_mismatch(expected, actual, where=name)
        if message:
            ctx.fail(message, _snippet(ctx, f"d = target.{name}", message))


_VALUES = {
    "num_bits": st.sampled_from([0, 1, 4, 8, 16, -1, 2.0, True, None]),
    "name": st.sampled_from([None, "x", 3]),
    "fake_quant": st.booleans(),
    "axis": st.sampled_from([None, 0, 1, (0,), (1, 2), -1]),
    "learn_amax": st.booleans(),
    "amax": st.sampled_from([None, 1.0, 2.5, [1.0], np.array([2.0]), 1, np.float32(2.0)]),
    "unsigned": st.booleans(),
    "narrow_range": st.booleans(),
    "calib_method": st.sampled_from(["max", "histogram"]),
    "bogus": st.just(1),
}


def check(ctx):
    for args, kwargs in CASES:
        _check_one(ctx, args, kwargs)
    _check_predefined(ctx)
    run_examples(ctx, st.dictionaries(st.sampled_from(sorted(_VALUES)), st.none(), max_size=5)
                 .flatmap(lambda keys: st.fixed_dictionaries({k: _VALUES[k] for k in keys})),
                 lambda kwargs: _check_one(ctx, (), kwargs))


PROPERTIES = [
    Property("descriptor_rules",
             "QuantDescriptor checks its arguments in the article's order (first failing rule "
             "raises its exception type), stores every value as the read-only properties, logs an "
             "error for num_bits=0, and the predefined descriptors match",
             frozenset({"descriptor"}), check),
]
