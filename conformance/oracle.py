"""One call of the reference and of the target, and the verdict on the pair.

Both sides are reduced to an ``Outcome``: the exception type raised, or the
returned arrays. The target's return is validated on the way (a tensor, a
pair of tensors for ``tensor_quant``), so a target that returns junk fails
with a message that says so instead of crashing the check.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import reference

from .calls import TargetAborted, TargetHung
from .compare import first_mismatch
from .convert import to_numpy, to_torch
from .repro import array_bits, call_snippet

__all__ = ["Outcome", "check_call", "reference_outcome", "target_outcome"]

NAMES = {"fake_tensor_quant": ("outputs",), "tensor_quant": ("outputs", "scale")}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a call did: raised ``raised`` (with ``error``), or returned ``values``."""

    raised: type | None = None
    error: str = ""
    values: tuple = ()
    problem: str = ""  # the target misbehaved: hung, or returned something unusable

    def describe(self) -> str:
        if self.problem:
            return self.problem
        if self.raised is not None:
            return f"raised {self.raised.__name__}: {self.error}"
        return "returned " + "; ".join(array_bits(v) for v in self.values)


def reference_outcome(ctx, function, case) -> Outcome:
    """The oracle's verdict on ``case`` (with the target's declared variations)."""
    fn = getattr(reference, function)
    try:
        with np.errstate(all="ignore"):
            result = fn(case.inputs, case.amax, case.num_bits, case.unsigned,
                        case.narrow_range, semantics=ctx.semantics)
    except (TypeError, ValueError, RuntimeError) as exc:
        return Outcome(raised=type(exc), error=str(exc))
    values = result if isinstance(result, tuple) else (result,)
    return Outcome(values=tuple(np.asarray(v) for v in values))


def tensors(ctx, case, *, requires_grad=False, grads=()):
    """The case's inputs and amax as tensors on the context's device.

    ``grads`` names which of them require grad (``requires_grad`` is inputs).
    """
    inputs = to_torch(case.inputs, ctx.device,
                      requires_grad=requires_grad or "inputs" in grads)
    amax = to_torch(case.amax, ctx.device, requires_grad="amax" in grads)
    return inputs, amax


def invoke(ctx, function, inputs, amax, case):
    """Call the target's ``function`` positionally (autograd ``apply`` takes no keywords)."""
    fn = getattr(ctx.target, function)
    return ctx.caller(lambda: fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range),
                      what=f"{function}()")


def returned_tensors(function, result):
    """The tensors a call returned, or a sentence saying why they are unusable."""
    import torch

    want = len(NAMES[function])
    items = (result,) if want == 1 else result
    if want == 2 and not (isinstance(result, (tuple, list)) and len(result) == 2):
        return None, (f"{function} returned {type(result).__name__}, "
                      "but should return a pair (outputs, scale) of tensors")
    for name, item in zip(NAMES[function], items, strict=False):
        if not isinstance(item, torch.Tensor):
            return None, (f"{function} returned {type(item).__name__} as {name}, "
                          "but should return a torch.Tensor")
    return tuple(items), ""


def target_outcome(ctx, function, case, inputs=None, amax=None, grads=(), call=None) -> Outcome:
    """The target's behaviour on ``case`` (tensors built from it unless given).

    With ``grads`` the forward values are read detached: training mode must
    compute the very bits inference does (SPEC 3).
    """
    if inputs is None:
        inputs, amax = tensors(ctx, case, grads=grads)
    try:
        result = (invoke(ctx, function, inputs, amax, case) if call is None
                  else ctx.caller(call, what=f"{function}()"))
    except TargetHung as exc:
        return Outcome(problem=f"{function} hung: {exc}")
    except TargetAborted as exc:
        return Outcome(problem=str(exc))
    except Exception as exc:
        return Outcome(raised=type(exc), error=str(exc))
    items, problem = returned_tensors(function, result)
    if problem:
        return Outcome(problem=problem)
    try:
        return Outcome(values=tuple(to_numpy(t) for t in items))
    except Exception as exc:  # e.g. a tensor on the meta device, or an exotic dtype
        where = ", ".join(str(t.device) for t in items)
        return Outcome(problem=f"{function} returned a tensor whose values cannot be read "
                       f"(device {where}; {type(exc).__name__}: {exc})")


def verdict(function, expected: Outcome, actual: Outcome) -> str | None:
    """Why ``actual`` breaks the rule given ``expected``, or None when it conforms."""
    if actual.problem:
        return actual.problem
    if expected.raised is not None:
        if actual.raised is None:
            return (f"{function} returned normally, but should raise "
                    f"{expected.raised.__name__} ({expected.error})")
        if not issubclass(actual.raised, expected.raised):
            return (f"{function} raised {actual.raised.__name__}: {actual.error}, but should "
                    f"raise {expected.raised.__name__} ({expected.error})")
        return None
    if actual.raised is not None:
        return f"{function} raised {actual.raised.__name__} unexpectedly: {actual.error}"
    for name, e, a in zip(NAMES[function], expected.values, actual.values, strict=False):
        mismatch = first_mismatch(e, a, name=name)
        if mismatch is not None:
            return str(mismatch)
    return None


def _first_bad_element(function, expected, actual):
    """The flat index of the first differing output element, or None."""
    if expected.raised is not None or actual.raised is not None or actual.problem:
        return None
    mismatch = first_mismatch(expected.values[0], actual.values[0])
    if mismatch is None or mismatch.what != "value" or mismatch.index is None:
        return None
    return int(np.ravel_multi_index(mismatch.index, expected.values[0].shape))


def _narrowed(ctx, function, case, expected, actual, grads=()):
    """The failure reduced to the one input element that shows it, when one amax serves all.

    Hypothesis shrinks the draw, not the dense arrays of special values; a
    per-tensor quantizer is elementwise, so the first differing element alone
    must still differ. If it does, that one-element call is the reproduction.
    """
    if case.amax.size != 1 or case.inputs.size <= 1:
        return None
    flat_index = _first_bad_element(function, expected, actual)
    if flat_index is None or flat_index >= case.inputs.size:
        return None
    small = dataclasses.replace(case, inputs=case.inputs.reshape(-1)[flat_index:flat_index + 1],
                                amax=case.amax.reshape(case.amax.shape if case.amax.ndim <= 1
                                                       else (1,)), motif=None)
    small_expected = reference_outcome(ctx, function, small)
    small_actual = target_outcome(ctx, function, small, grads=grads)
    message = verdict(function, small_expected, small_actual)
    return None if message is None else (small, small_expected, small_actual, message)


def check_call(ctx, function, case, grads=()) -> None:
    """Fail the property unless the target does what the reference does on ``case``.

    ``grads`` names the tensors ("inputs", "amax") that require grad in the call.
    """
    expected = reference_outcome(ctx, function, case)
    actual = target_outcome(ctx, function, case, grads=grads)
    message = verdict(function, expected, actual)
    if message is not None:
        narrowed = _narrowed(ctx, function, case, expected, actual, grads)
        if narrowed is not None:
            case, expected, actual, message = narrowed
        if grads:
            message += f" (with {' and '.join(grads)} requiring grad)"
        ctx.fail(message, call_snippet(
            ctx.target, ctx.device, function, case, rule=ctx.rule, message=message,
            expected=expected.describe(), actual=actual.describe(), semantics=ctx.semantics,
            grads=grads,
        ), case, function)
