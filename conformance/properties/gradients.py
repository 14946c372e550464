"""Gradients: the clipped straight-through estimator, and none for amax."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import reference

from .. import strategies
from ..calls import TargetHung
from ..compare import first_mismatch
from ..convert import to_numpy, to_torch
from ..oracle import NAMES, reference_outcome, returned_tensors
from ..repro import array_bits, call_snippet, tensor_literal
from ._base import Property, run_strata

FUNCTIONS = ("fake_tensor_quant", "tensor_quant")


KINDS = ("per_tensor", "per_channel", "dtype_edge", "zero_dim")
_WEIGHTS = {"per_tensor": 2, "per_channel": 2, "dtype_edge": 1, "zero_dim": 1}


@st.composite
def gradient_cases(draw, kind=None):
    """``(function, case, grad_output)``: any call, one at the top of a 16-bit range, or a
    0-d one (``kind``, one of ``KINDS``; drawn when None)."""
    if kind is None:
        kind = draw(st.sampled_from(KINDS[:2] * 2 + KINDS[2:]), label="kind")
    if kind == "zero_dim":
        return _zero_dim_case(draw)
    if kind == "dtype_edge":
        case = draw(strategies.dtype_edge_cases(), label="case")
    else:
        case = draw(strategies.cases(per_channel=kind == "per_channel", max_side=4),
                    label="case")
    if np.broadcast_shapes(case.inputs.shape, case.amax.shape) != case.inputs.shape:
        # The gradient is the inputs' shape; an amax that widens the output is out of scope.
        case = strategies.Case(case.inputs, case.amax.reshape(()), case.num_bits, case.unsigned,
                               case.narrow_range)
    function = draw(st.sampled_from(FUNCTIONS), label="function")
    grad = strategies.incoming_gradient(draw, case.inputs.shape, case.inputs.dtype)
    return function, case, grad


#: One run per kind (``run_strata``), for both gradient properties.
_STRATA = {kind: gradient_cases(kind) for kind in KINDS}


def _zero_dim_case(draw):
    """A 0-d call, mostly with a -0 gradient.

    SPEC 3: the article's zero is ``grad_outputs.new_zeros(1)``, so for a 0-d
    input ``where()`` returns shape (1,) and autograd sums it back to (): the
    sum starts from +0, so a -0 gradient inside the mask arrives as +0. A
    kernel with a 0-d zero (``torch.where(mask, grad, 0.0)``) passes -0 on, and
    only a 0-d input with a -0 gradient shows the difference.
    """
    case = draw(strategies.cases(per_channel=False, max_side=3), label="case")
    flat = case.inputs.reshape(-1)
    value = flat[draw(st.integers(0, flat.size - 1), label="element")] if flat.size else 0
    inputs = np.asarray(value, dtype=case.inputs.dtype)
    case = strategies.Case(inputs, case.amax.reshape(()), case.num_bits, case.unsigned,
                           case.narrow_range)
    function = draw(st.sampled_from(FUNCTIONS), label="function")
    if draw(st.sampled_from([True, True, False]), label="negative_zero_grad"):
        grad = np.asarray(-0.0, dtype=inputs.dtype)
    else:
        grad = strategies.incoming_gradient(draw, (), inputs.dtype)
    return function, case, grad


def _backward(ctx, function, case, grad, *, amax_requires_grad=False):
    """Forward and backward on the target; returns (inputs, amax, problem)."""
    inputs = to_torch(case.inputs, ctx.device, requires_grad=True)
    amax = to_torch(case.amax, ctx.device, requires_grad=amax_requires_grad)
    grad_t = to_torch(grad, ctx.device)
    fn = getattr(ctx.target, function)

    def run():
        result = fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range)
        items, problem = returned_tensors(function, result)
        if problem:
            return problem
        if not items[0].requires_grad:
            return (f"{function}'s outputs do not require grad when the inputs do: "
                    "the target has no backward")
        items[0].backward(grad_t)
        return ""

    try:
        problem = ctx.caller(run, what=f"{function}() and backward()")
    except TargetHung as exc:
        problem = f"{function} hung: {exc}"
    except Exception as exc:
        problem = f"{function} or its backward raised {type(exc).__name__}: {exc}"
    return inputs, amax, problem


def _applicable(ctx, function, case):
    if function == "tensor_quant" and ctx.target.tensor_quant is None:
        return False
    return reference_outcome(ctx, function, case).raised is None


def _fail(ctx, function, case, message, expected=None, actual=None, after=(), grads=()):
    ctx.fail(message, call_snippet(
        ctx.target, ctx.device, function, case, rule=ctx.rule, message=message,
        expected=expected, actual=actual, semantics=ctx.semantics, after=after, grads=grads),
        case, function)


def check_ste(ctx):
    def body(drawn):
        function, case, grad = drawn
        if not _applicable(ctx, function, case):
            return
        inputs, _amax, problem = _backward(ctx, function, case, grad)
        after = [f"grad_output = {tensor_literal(grad, ctx.device)}",
                 f"result{'[0]' if function == 'tensor_quant' else ''}.backward(grad_output)",
                 "print(inputs.grad)"]
        if problem:
            _fail(ctx, function, case, problem, after=after, grads=("inputs",))
        with np.errstate(all="ignore"):
            expected = reference.ste_gradient(case.inputs, case.amax, grad, case.num_bits,
                                              case.unsigned, case.narrow_range,
                                              semantics=ctx.semantics)
        if inputs.grad is None:
            _fail(ctx, function, case, "inputs.grad is None after backward(): no gradient "
                  "reached the inputs", array_bits(expected), "None", after, ("inputs",))
        try:
            actual = to_numpy(inputs.grad)
        except Exception as exc:
            _fail(ctx, function, case, f"inputs.grad cannot be read ({type(exc).__name__}: "
                  f"{exc})", after=after, grads=("inputs",))
        mismatch = first_mismatch(expected, actual, name="inputs.grad")
        if mismatch is not None:
            _fail(ctx, function, case, str(mismatch), array_bits(expected),
                  array_bits(actual), after, ("inputs",))

    run_strata(ctx, _STRATA, body, weights=_WEIGHTS)


def check_amax(ctx):
    def body(drawn):
        function, case, grad = drawn
        if not _applicable(ctx, function, case):
            return
        _inputs, amax, problem = _backward(ctx, function, case, grad, amax_requires_grad=True)
        after = [f"result{'[0]' if function == 'tensor_quant' else ''}.backward("
                 f"{tensor_literal(grad, ctx.device)})", "print(amax.grad)"]
        grads = ("inputs", "amax")
        if problem:
            _fail(ctx, function, case, f"with amax.requires_grad=True: {problem}", after=after,
                  grads=grads)
        if amax.grad is not None:
            _fail(ctx, function, case, "amax.grad is set after backward(), but no gradient "
                  "may flow to amax (the backward returns None for it)", "None",
                  f"a {amax.grad.dtype} tensor of shape {tuple(amax.grad.shape)}", after, grads)

    run_strata(ctx, _STRATA, body, weights=_WEIGHTS)


assert set(FUNCTIONS) == set(NAMES)

PROPERTIES = [
    Property("ste_gradient",
             "the input gradient is grad_output where |inputs| <= amax (inclusive, on the raw "
             "inputs, amax broadcast) and +0 elsewhere, NaN inputs included, in the inputs' dtype; "
             "every incoming gradient passes bit for bit (-0, NaN, inf, subnormals) and none "
             "leaks outside the mask (a NaN or negative one there still gives +0)",
             frozenset({"fake_tensor_quant"}), check_ste),
    Property("amax_no_gradient",
             "an amax created with requires_grad=True gets no gradient (amax.grad stays None)",
             frozenset({"fake_tensor_quant"}), check_amax),
]
