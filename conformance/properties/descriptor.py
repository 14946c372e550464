"""Descriptor rules (SPEC.md section 1), when the target exposes a descriptor class.

``descriptor_rules`` checks every rule over a wide range of argument types
(Python and NumPy scalars, bools where ints or flags go, float32 and float64
arrays, lists, tuples, nested lists, strings): the article stores every
value as given, except amax, which it converts with ``numpy.array(amax,
dtype=float32)``. ``descriptor_storage`` checks what that means for memory:
amax is a new array (never the caller's, never sharing its memory), every
other value is the very object given, and ``d.amax`` is the stored array.
"""

from __future__ import annotations

import logging

import numpy as np
from hypothesis import strategies as st

import reference
from vectors.expect import DESCRIPTOR_ATTRIBUTES

from ..calls import TargetHung
from ..compare import first_mismatch
from ._base import Property
from ._contract import examples

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
    # Wide argument types: bools and NumPy scalars where ints and flags go, arrays of every
    # dtype, nested and string lists; each is stored as given (amax converted), no coercion.
    ((False,), {}), ((np.bool_(True),), {}), ((np.int32(8),), {}), ((2**40,), {}),
    ((), {"name": np.str_("w")}), ((), {"fake_quant": 0}), ((), {"fake_quant": np.bool_(False)}),
    ((), {"fake_quant": None}), ((), {"axis": [0, 1]}), ((), {"axis": np.int64(0)}),
    ((), {"learn_amax": 1}), ((), {"learn_amax": np.bool_(True)}),
    ((), {"learn_amax": 1, "axis": 0}), ((), {"learn_amax": "", "axis": 0}),
    ((), {"amax": np.array([2.0, 0.5], dtype=np.float64)}),
    ((), {"amax": np.array(2.0, dtype=np.float32)}), ((), {"amax": np.array([1, 2])}),
    ((), {"amax": [[1.0], [2.0]]}), ((), {"amax": []}), ((), {"amax": [1, 2]}),
    ((), {"amax": ["1.5"]}), ((), {"amax": [None]}), ((), {"amax": [1.0, "a"]}),
    ((), {"amax": True}), ((), {"amax": float("nan")}), ((), {"amax": 1e-45}),
    ((), {"scale_amax": np.float32(2.0)}), ((), {"scale_amax": 3}), ((), {"calib_method": 1}),
    ((), {"unsigned": 1}), ((), {"unsigned": 0}), ((), {"unsigned": np.bool_(True)}),
    ((), {"unsigned": "yes"}), ((), {"unsigned": None}), ((), {"narrow_range": 1}),
    ((), {"narrow_range": np.bool_(False)}), ((), {"narrow_range": "no"}),
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


def _snippet(ctx, line, message, after=("print(d)",)):
    from ..repro import import_lines

    return "\n".join([f"# Rule broken: {ctx.rule}", f"# What happened: {message}",
                      "import numpy as np",
                      "from numpy import array, float16, float32, float64, inf, nan",
                      *import_lines(ctx.target),
                      line.replace("QuantDescriptor(", f"{ctx.target.descriptor.__name__}("),
                      *after])


def _check_predefined(ctx):
    for name, expected in reference.PREDEFINED.items():
        actual = getattr(ctx.target.obj, name, None)
        if actual is None:
            continue  # a target may expose the class without the predefined instances
        message = attribute_mismatch(expected, actual, where=name)
        if message:
            ctx.fail(message, _snippet(ctx, f"d = target.{name}", message))


#: Flags as callers pass them: bools, 0/1, NumPy bools, None, strings (stored as given).
_FLAGS = st.sampled_from([True, False, 0, 1, np.bool_(True), np.bool_(False), None, "no"])

_VALUES = {
    "num_bits": st.sampled_from([0, 1, 4, 8, 16, -1, 2.0, True, False, None, np.int32(8),
                                 np.int64(4), np.bool_(True), "8"]),
    "name": st.sampled_from([None, "x", 3, np.str_("w")]),
    "fake_quant": _FLAGS,
    "axis": st.sampled_from([None, 0, 1, (0,), (1, 2), -1, [0], np.int64(1)]),
    "learn_amax": _FLAGS,
    "amax": st.sampled_from([None, 1.0, 2.5, [1.0], np.array([2.0]), 1, np.float32(2.0),
                             np.float64(0.5), (1.0,), [1, 2], [[0.5]],
                             np.array([1.0, 2.0], dtype=np.float64), np.array(3.0),
                             np.array([4.0], dtype=np.float16)]),
    "scale_amax": st.sampled_from([None, 2.0, np.float32(0.5), 3]),
    "unsigned": _FLAGS,
    "narrow_range": _FLAGS,
    "calib_method": st.sampled_from(["max", "histogram", None]),
    "bogus": st.just(1),
}


def check(ctx):
    for args, kwargs in CASES:
        _check_one(ctx, args, kwargs)
    _check_predefined(ctx)
    # Combinations of the values above; the fixed cases cover each type, so a share will do.
    examples(ctx, st.dictionaries(st.sampled_from(sorted(_VALUES)), st.none(), max_size=5)
             .flatmap(lambda keys: st.fixed_dictionaries({k: _VALUES[k] for k in keys})),
             lambda kwargs: _check_one(ctx, (), kwargs), share=0.4)


# -- what is stored: amax copied, everything else the very object given ----------------

#: Arguments whose storage is checked: each is a fresh object per check (made by a lambda),
#: so what the descriptor keeps can be told apart from what the caller keeps.
STORED = (
    lambda: {"amax": np.array([1.0, 2.0], dtype=np.float32)},
    lambda: {"amax": np.array(1.5, dtype=np.float32)},
    lambda: {"amax": np.array([0.5, 3.0], dtype=np.float64)},
    lambda: {"amax": [1.0, 2.0]},
    lambda: {"amax": 2.5, "axis": [0, 1], "scale_amax": np.array([2.0])},
    lambda: {"axis": (0,), "name": "w", "calib_method": "histogram"},
    lambda: {"unsigned": np.bool_(True), "narrow_range": 1, "fake_quant": 0,
             "learn_amax": np.bool_(False)},
)


def _stored_problem(d, given, snapshot) -> tuple[str, list[str]] | None:
    """How ``d`` keeps ``given`` otherwise than the article: (message, lines showing it)."""
    for key, value in given.items():
        if key == "amax":
            continue
        kept = getattr(d, key)
        if kept is not value:
            return (f"d.{key} is not the object given ({kept!r}, {type(kept).__name__}, for "
                    f"{value!r}, {type(value).__name__}): the article stores it as given",
                    [f"print(d.{key} is kwargs[{key!r}])  # expected: True"])
    if "amax" not in given:
        return None
    amax, kept = given["amax"], d.amax
    if kept is amax or (isinstance(amax, np.ndarray) and isinstance(kept, np.ndarray)
                        and np.shares_memory(kept, amax)):
        return ("d.amax shares memory with the amax given: the article stores "
                "numpy.array(amax, dtype=float32), a copy, so the caller's later writes "
                "do not reach it", ["print(np.shares_memory(d.amax, kwargs['amax']))"
                                    "  # expected: False"])
    if d.amax is not kept:
        return ("d.amax returns another object on every read: the article's property returns "
                "the array it stores", ["print(d.amax is d.amax)  # expected: True"])
    if isinstance(amax, list):
        amax[0] = 42.0
    else:
        np.asarray(amax)[...] = 42.0
    mismatch = first_mismatch(snapshot, np.asarray(d.amax), name="d.amax")
    if mismatch is not None:
        return (f"writing into the amax given after construction changed d.amax: {mismatch}",
                ["kwargs['amax'][...] = 42.0" if not isinstance(amax, list) else
                 "kwargs['amax'][0] = 42.0", "print(d.amax)  # expected: unchanged"])
    return None


def check_storage(ctx):
    for make in STORED:
        given = make()
        text = ", ".join(f"{k}={v!r}" for k, v in given.items())
        d = ctx.caller(lambda g=given: ctx.target.descriptor(**g), what="QuantDescriptor()")
        snapshot = np.array(d.amax, copy=True) if "amax" in given else None
        problem = _stored_problem(d, given, snapshot)
        if problem:
            message, lines = problem
            ctx.fail(f"QuantDescriptor({text}): {message}",
                     _snippet(ctx, f"kwargs = dict({text})\nd = target.QuantDescriptor(**kwargs)",
                              message, lines))


PROPERTIES = [
    Property("descriptor_rules",
             "QuantDescriptor checks its arguments in the article's order (first failing rule "
             "raises its exception type), stores every value as the read-only properties, logs an "
             "error for num_bits=0, and the predefined descriptors match",
             frozenset({"descriptor"}), check),
    Property("descriptor_storage",
             "QuantDescriptor keeps amax as a new float32 array (never the caller's array or "
             "its memory) and every other argument as the very object given (no copy, no "
             "coercion); d.amax is that array",
             frozenset({"descriptor"}), check_storage),
]
