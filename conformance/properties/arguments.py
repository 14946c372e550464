"""Argument forms: every form of call the article accepts binds as the article binds it
(SPEC.md 3 and 7): positional, by keyword, and omitted, where an omitted argument takes
the article's default (``num_bits=8, unsigned=False, narrow_range=True``).

The article's functions are ``Function.apply``. On torch 2.13 ``apply`` hands
keywords to the forward's parameters in order and accepts a keyword only when
every parameter before it is given too: ``fake_tensor_quant(x, amax,
narrow_range=False)`` raises ``TypeError: forward() missing required argument:
'num_bits'`` (checked with a re-statement of the article's code). So the
forms checked are those it accepts: the first ``p`` parameters positional,
the next ``q - p`` by keyword, the rest omitted, for every ``p <= q``,
``q >= 2``. A kernel may accept more forms; they are not judged.

Each form is judged against the target's own all-positional call of what
it binds (the values are the other properties' business). The inputs always
hold +inf (and -inf when signed), which quantize to the bounds: a wrong
default bit width, range or signedness changes them.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
from hypothesis import strategies as st

import reference

from .. import strategies
from ..oracle import target_outcome, tensors, verdict
from ..strategies import Case
from . import _contract
from ._base import Property

__all__ = ["DEFAULTS", "FORMS", "PARAMETERS", "check"]

PARAMETERS = ("inputs", "amax", "num_bits", "unsigned", "narrow_range")
#: The article's defaults, read from the reference's signature (one place).
DEFAULTS = {name: p.default for name, p in
            inspect.signature(reference.fake_tensor_quant).parameters.items()
            if name in PARAMETERS[2:]}
#: (positional count, given count): every form the article's ``apply`` accepts.
FORMS = tuple((p, q) for q in range(2, 6) for p in range(q + 1))


def _form_text(p, q) -> str:
    return ", ".join(list(PARAMETERS[:p]) + [f"{n}={n}" for n in PARAMETERS[p:q]])


def _bound(case, q) -> Case:
    """The call as the article binds the first ``q`` arguments given, the rest defaults."""
    given = dict(zip(PARAMETERS[2:], (case.num_bits, case.unsigned, case.narrow_range),
                     strict=True))
    values = {n: given[n] if i + 2 < q else DEFAULTS[n] for i, n in enumerate(PARAMETERS[2:])}
    return Case(case.inputs, case.amax, **values)


@st.composite
def argument_cases(draw):
    """A per-tensor call whose inputs also hold +-inf (the bounds show every default)."""
    base = draw(strategies.cases(max_side=3), label="base")
    amax = base.amax
    if draw(st.booleans(), label="readable"):
        amax = _contract.readable_amax(amax)
    ends = [np.inf] if base.unsigned else [np.inf, -np.inf]
    inputs = np.concatenate([base.inputs.reshape(-1), np.asarray(ends, base.inputs.dtype)])
    return Case(inputs, amax, base.num_bits, base.unsigned, base.narrow_range)


def check(ctx):
    def body(case):
        for function in _contract.functions(ctx):
            fn = getattr(ctx.target, function)
            # Each form against the target's own positional call of what it binds: values
            # are the other properties' business, binding is this one's.
            expected = {q: target_outcome(ctx, function, _bound(case, q)) for q in range(2, 6)}
            for p, q in FORMS:
                if expected[q].problem:
                    continue
                bound = _bound(case, q)
                inputs, amax = tensors(ctx, case)
                values = dict(zip(PARAMETERS, (inputs, amax, case.num_bits, case.unsigned,
                                               case.narrow_range), strict=True))
                args = [values[n] for n in PARAMETERS[:p]]
                kwargs = {n: values[n] for n in PARAMETERS[p:q]}
                actual = target_outcome(ctx, function, bound, inputs, amax,
                                        call=functools.partial(fn, *args, **kwargs))
                message = verdict(function, expected[q], actual)
                if message is None:
                    continue
                omitted = ", ".join(PARAMETERS[q:])
                bound_text = ", ".join(f"{n}={getattr(bound, n)!r}" for n in PARAMETERS[2:])
                message = (f"{function}({_form_text(p, q)}) must give the positional call with "
                           f"{bound_text}{f' ({omitted}: the defaults)' if omitted else ''}: "
                           f"{message}")
                lines = [f"{n} = {getattr(case, n)!r}" for n in PARAMETERS[2:q]]
                positional = ", ".join(f"{getattr(bound, n)!r}" for n in PARAMETERS[2:])
                call = "\n".join(lines + [
                    f"print(target.{function}(inputs, amax, {positional}))  # expected",
                    f"result = target.{function}({_form_text(p, q)})"])
                _contract.fail(ctx, function, bound, message, call=call,
                               expected=f"(positional) {expected[q].describe()}",
                               actual=actual.describe())

    _contract.examples(ctx, argument_cases(), body, share=0.15)


PROPERTIES = [
    Property("argument_forms",
             "every argument form the article accepts (positional, keyword, omitted) gives the "
             "all-positional call it binds, omitted arguments taking num_bits=8, "
             "unsigned=False, narrow_range=True",
             frozenset({"fake_tensor_quant"}), check),
]
