"""Autograd state: what every output carries for autograd, for every combination of inputs
and amax requiring grad, and what backward through each output gives (SPEC.md 3 and 7).

The article's functions are ``torch.autograd.Function``s that mark no output
non-differentiable. Checked on torch 2.13 against a re-statement of the
article's code:

* with grad mode on and the inputs, the amax or both requiring grad, every
  output (``tensor_quant``'s scale included) requires grad and has a
  ``grad_fn``; with neither, or under ``torch.no_grad()`` or
  ``torch.inference_mode()``, none does (and under inference mode every
  output is an inference tensor);
* backward through the outputs gives the inputs the clipped straight-through
  gradient and the amax nothing (``amax.grad`` stays None, also when the amax
  alone requires grad: backward runs and gives nothing);
* backward through ``tensor_quant``'s scale alone gives the inputs a zero
  gradient, not None (autograd hands the backward zeros for the unused
  outputs, and the STE passes them), and through both outputs the scale's
  gradient is ignored.

A kernel that detaches the amax ("it takes no gradient anyway"), returns its
scale detached or marked non-differentiable, or loses the graph in one mode,
computes every value right and is caught only here.
"""

from __future__ import annotations

import contextlib

import numpy as np

import reference

from ..calls import TargetHung
from ..compare import first_mismatch
from ..convert import to_numpy, to_torch
from ..oracle import NAMES, reference_outcome, returned_tensors, tensors
from ..repro import array_bits, tensor_literal
from . import _contract
from ._base import Property
from .gradients import gradient_cases

__all__ = ["check"]

#: Which of (inputs, amax) require grad, every combination.
GRAD_SETS = ((), ("inputs",), ("amax",), ("inputs", "amax"))
#: Grad modes a call can run under: on (None), ``torch.no_grad()``, ``torch.inference_mode()``.
MODES = (None, "no_grad", "inference_mode")
#: Outputs backward runs through, per function.
PATHS = {"fake_tensor_quant": ("outputs",), "tensor_quant": ("outputs", "scale", "both")}


def _mode(name):
    import torch

    return contextlib.nullcontext() if name is None else getattr(torch, name)()


def _who(grads, mode) -> str:
    flags = ", ".join(f"{n}.requires_grad={n in grads}" for n in ("inputs", "amax"))
    return f"with {flags} ({'grad mode on' if mode is None else f'under torch.{mode}()'})"


def _state_problem(function, items, grads, mode) -> tuple[str, str] | None:
    """(the output, how its autograd state differs from the article's), or None."""
    records = mode is None and bool(grads)
    for name, item in zip(NAMES[function], items, strict=False):
        has_fn = item.grad_fn is not None
        if item.requires_grad != records or has_fn != records:
            want = "require grad and have a grad_fn" if records else \
                "neither require grad nor have a grad_fn"
            return name, (f"{_who(grads, mode)}, {function}'s {name} has requires_grad="
                    f"{item.requires_grad} and grad_fn={type(item.grad_fn).__name__ if has_fn else None}"
                    f", but the article's outputs all {want} (its autograd Function marks "
                    "every output of a call with an input requiring grad, the scale included)")
        if item.is_inference() != (mode == "inference_mode"):
            return name, (f"{_who(grads, mode)}, {function}'s {name} has is_inference()="
                    f"{item.is_inference()}, but the article's is {mode == 'inference_mode'}")
    return None


def _forward(ctx, function, case, grads, mode):
    """The call under ``mode`` with ``grads`` requiring grad: (items, problem)."""
    fn = getattr(ctx.target, function)

    def run():
        inputs, amax = tensors(ctx, case, grads=grads)
        with _mode(mode):
            return fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range)

    try:
        result = ctx.caller(run, what=f"{function}()")
    except TargetHung:
        raise
    except Exception as exc:
        return None, f"{_who(grads, mode)}, {function} raised {type(exc).__name__}: {exc}"
    return returned_tensors(function, result)


def _backward(ctx, function, case, grads, path, grad):
    """Backward through ``path`` of a fresh call: (inputs.grad, amax.grad, problem)."""
    import torch

    fn = getattr(ctx.target, function)

    def run():
        inputs, amax = tensors(ctx, case, grads=grads)
        items, problem = returned_tensors(
            function, fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range))
        if problem:
            return None, None, problem
        pairs = [(items[0], to_torch(grad, ctx.device))] if path != "scale" else []
        if path != "outputs":
            pairs.append((items[1], torch.ones_like(items[1])))
        torch.autograd.backward([t for t, _ in pairs], [g for _, g in pairs])
        return inputs.grad, amax.grad, ""

    try:
        return ctx.caller(run, what=f"{function}() and backward()")
    except TargetHung:
        raise
    except Exception as exc:
        return None, None, f"backward raised {type(exc).__name__}: {exc}"


_BACKWARD_LINE = {
    "outputs": "result{out}.backward(grad_output)",
    "scale": "result[1].backward(torch.ones_like(result[1]))",
    "both": "torch.autograd.backward([result[0], result[1]], [grad_output, "
            "torch.ones_like(result[1])])",
}


def _check_backward(ctx, function, case, grads, path, grad):
    inputs_grad, amax_grad, problem = _backward(ctx, function, case, grads, path, grad)
    where = {"outputs": "the outputs", "scale": "the scale alone",
             "both": "the outputs and the scale"}[path]
    after = [f"grad_output = {tensor_literal(grad, ctx.device)}",
             _BACKWARD_LINE[path].format(out="[0]" if function == "tensor_quant" else ""),
             "print(inputs.grad, amax.grad)"]
    if problem:
        _contract.fail(ctx, function, case, f"{_who(grads, None)}, backward through {where}: "
                       f"{problem}", after=after, grads=grads)
    if amax_grad is not None:
        _contract.fail(ctx, function, case, f"{_who(grads, None)}, backward through {where} "
                       "gave amax a gradient, but the article's backward returns None for it",
                       expected="amax.grad is None", after=after, grads=grads,
                       actual=f"a {amax_grad.dtype} tensor of shape {tuple(amax_grad.shape)}")
    if "inputs" not in grads:
        return
    # Through the scale alone, autograd hands the backward zeros for the outputs.
    passed = grad if path != "scale" else np.zeros_like(grad)
    with np.errstate(all="ignore"):
        expected = reference.ste_gradient(case.inputs, case.amax, passed, case.num_bits,
                                          case.unsigned, case.narrow_range,
                                          semantics=ctx.semantics)
    mismatch = "inputs.grad is None" if inputs_grad is None else \
        first_mismatch(expected, to_numpy(inputs_grad), name="inputs.grad")
    if mismatch:
        _contract.fail(ctx, function, case, f"{_who(grads, None)}, backward through {where}: "
                       f"{mismatch}", expected=array_bits(expected), after=after, grads=grads,
                       actual="None" if inputs_grad is None else array_bits(to_numpy(inputs_grad)))


def check(ctx):
    def body(drawn):
        _function, case, grad = drawn
        for function in _contract.functions(ctx):
            if reference_outcome(ctx, function, case).raised is not None:
                continue  # no output, no state: the errors property's business
            for grads in GRAD_SETS:
                for mode in MODES:
                    items, problem = _forward(ctx, function, case, grads, mode)
                    name, problem = ("outputs", problem) if problem else \
                        _state_problem(function, items, grads, mode) or ("", "")
                    if problem:
                        out = "result" if function == "fake_tensor_quant" else \
                            f"result[{NAMES[function].index(name)}]"
                        _contract.fail(ctx, function, case, problem, grads=grads,
                                       call=_contract.call_text(function, case, mode),
                                       after=[f"print({out}.requires_grad, {out}.grad_fn, "
                                              f"{out}.is_inference())"])
                if grads:
                    for path in PATHS[function]:
                        _check_backward(ctx, function, case, grads, path, grad)

    _contract.examples(ctx, gradient_cases(), body, share=0.15)


PROPERTIES = [
    Property("autograd_state",
             "for every combination of inputs and amax requiring grad, every output (the scale "
             "too) requires grad and has a grad_fn exactly when one does and grad mode is on; "
             "backward through each output gives the inputs the clipped STE (zeros through the "
             "scale alone) and amax nothing",
             frozenset({"fake_tensor_quant"}), check),
]
