"""One call of a SPEC section 6 function on a target, judged against the reference.

``legacy_fake_tensor_quant``, ``fake_affine_tensor_quant`` and
``scaled_e4m3`` (and the input gradient of each) are all checked the same
way, whether the call was drawn by a property or read from a golden-vector
file: a ``Call`` names the function, its tensors and its other arguments
(the vector format's own terms, ``vectors.io``); the reference gives the
expected result (``vectors.expect``); ``judge`` calls the target, compares
bit for bit, narrows a failure to the one element that shows it and fails
the property with a reproduction and the call as an exportable vector.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vectors.io import GRADIENT_OF

from ..calls import TargetHung, TargetUnsupported
from ..compare import first_mismatch
from ..convert import to_numpy, to_torch
from ..repro import array_bits, function_snippet, tensor_literal
from ..section6_calls import SIGNATURES, Call, positional_numbers
from ._base import fewer_examples, run_examples

__all__ = ["GRADIENT_OF", "SIGNATURES", "Call", "check_calls", "judge", "replay_vector",
           "snippet"]


#: Functions whose NotImplementedError is a rule of the article (SPEC 6.3: unless E=4 and
#: M=3), judged like any other exception instead of skipping the call.
NOT_IMPLEMENTED_IS_A_RULE = frozenset({"scaled_e4m3"})
#: Appended when a forward differs only with the inputs requiring grad.
GRAD_NOTE = " (with inputs requiring grad)"
#: Inputs up to this many elements are written out in a reproduction.
SHOWN = 48


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Why a call broke the rule (``message``; None when it conforms) and where."""

    message: str | None
    index: tuple | None = None  # the first differing element, for narrowing


def _raised_names(exc) -> set[str]:
    return {c.__name__ for c in type(exc).__mro__}


def _tensors(ctx, call, requires_grad):
    signature = SIGNATURES[call.forward]
    tensors = {}
    for name in signature.tensors:
        array = call.inputs.get(name)
        if array is None and name in signature.optional:
            tensors[name] = None
            continue
        tensors[name] = to_torch(array, ctx.device, requires_grad=name in requires_grad)
    return tensors


def _run(ctx, call, expected, requires_grad) -> Outcome:
    import torch

    tensors = _tensors(ctx, call, requires_grad)
    numbers = positional_numbers(call.forward, call.arguments)
    fn = getattr(ctx.target, call.forward)

    def run():
        result = fn(*tensors.values(), *numbers)
        if not isinstance(result, torch.Tensor):
            return (f"{call.forward} returned {type(result).__name__}, but should return a "
                    "torch.Tensor"), None
        if not call.is_gradient:
            return "", to_numpy(result)
        if not result.requires_grad:
            return (f"{call.forward}'s outputs do not require grad when the inputs do: the "
                    "target has no backward"), None
        result.backward(to_torch(call.inputs["grad_output"], ctx.device))
        others = [n for n in sorted(requires_grad - {"inputs"})
                  if tensors[n] is not None and tensors[n].grad is not None]
        if others:
            return (f"{others[0]}.grad is set after backward(), but no gradient may flow to "
                    f"{others[0]} (the backward returns None for it)"), None
        if tensors["inputs"].grad is None:
            return "inputs.grad is None after backward(): no gradient reached the inputs", None
        return "", to_numpy(tensors["inputs"].grad)

    try:
        problem, value = ctx.caller(run, what=f"{call.forward}()")
    except TargetHung as exc:
        return Outcome(f"{call.forward} hung: {exc}")
    except TargetUnsupported as exc:
        if expected.raises == "NotImplementedError":  # e.g. scaled_e4m3 with E=5: required
            return Outcome(None)
        if call.forward in NOT_IMPLEMENTED_IS_A_RULE:
            # Here NotImplementedError is the article's own answer to the formats it
            # lacks, so raising it for the one it has is a wrong answer, not a call the
            # target cannot express (a scaled_e4m3(x) whose default E is 5, say).
            return Outcome(f"{call.forward} raised NotImplementedError ({exc.__cause__}), but "
                           "should not raise: the article raises it only for other formats")
        raise
    except Exception as exc:
        if expected.raises is not None and expected.raises in _raised_names(exc):
            return Outcome(None)
        want = f"should raise {expected.raises}" if expected.raises else "should not raise"
        return Outcome(f"{call.forward} raised {type(exc).__name__}: {exc}, but {want}")
    if problem:
        return Outcome(problem)
    if expected.raises is not None:
        return Outcome(f"{call.forward} returned normally, but should raise {expected.raises}"
                       + (f" ({expected.match})" if expected.match else ""))
    want = expected.grad if call.is_gradient else expected.outputs
    mismatch = first_mismatch(want, value, name="inputs.grad" if call.is_gradient else "outputs")
    if mismatch is None:
        return Outcome(None)
    return Outcome(f"{mismatch} (expected {array_bits(want)}; got {array_bits(value)})",
                   mismatch.index)


def replay(ctx, call, expected, *, both_modes=False) -> Outcome:
    """The call on the target; with ``both_modes`` a forward once more with the inputs
    requiring grad (SPEC 3: the straight-through estimator lives in backward only, so
    the forward bits stay). Drawn calls draw that choice instead (``Call.grads``)."""
    requires_grad = set(call.grads) | ({"inputs"} if call.is_gradient else set())
    outcome = _run(ctx, call, expected, requires_grad)
    if (both_modes and outcome.message is None and not call.is_gradient
            and "inputs" not in requires_grad):
        again = _run(ctx, call, expected, requires_grad | {"inputs"})
        if again.message is not None:
            return Outcome(again.message + GRAD_NOTE, again.index)
    return outcome


def replay_vector(ctx, vcase, expected) -> str | None:
    """Golden-vector replay of a section 6 case (``properties.golden`` hands them here)."""
    call = Call(vcase.function, dict(vcase.inputs), dict(vcase.arguments))
    if getattr(ctx.target, call.forward, None) is None:
        return None  # the target lacks the function: the case does not apply
    return replay(ctx, call, expected, both_modes=True).message


def _narrower(call, index):
    """Smaller calls around the element at flat ``index``: the element alone, then a window.

    Only where the other tensors hold one element each (or are absent), so the
    function is elementwise over the inputs and a slice is still the same call.
    """
    inputs = call.inputs["inputs"]
    others = [v for k, v in call.inputs.items() if k not in ("inputs", "grad_output")]
    if inputs.size <= 1 or any(v.size != 1 for v in others) or index is None:
        return []
    flat = int(np.ravel_multi_index(index, inputs.shape)) if inputs.ndim else 0
    smaller = []
    for lo, hi in ((flat, flat + 1), (max(0, flat - SHOWN // 2), flat + SHOWN // 2)):
        arrays = {k: (v.reshape(-1)[lo:hi] if k in ("inputs", "grad_output") else
                      v.reshape(v.shape if v.ndim <= 1 else (1,))) for k, v in call.inputs.items()}
        smaller.append(dataclasses.replace(call, inputs=arrays, builders={}))
    return smaller


def judge(ctx, call) -> None:
    """Fail the property (narrowed, with a reproduction and a vector) unless the call conforms."""
    expected = call.expected()
    outcome = replay(ctx, call, expected)
    if outcome.message is None:
        return
    for smaller in _narrower(call, outcome.index):
        smaller_expected = smaller.expected()
        smaller_outcome = replay(ctx, smaller, smaller_expected)
        if smaller_outcome.message is not None:
            call, expected, outcome = smaller, smaller_expected, smaller_outcome
            break
    message = outcome.message
    name = "".join(ch if ch.isalnum() else "_" for ch in f"{ctx.target.name}_{ctx.property}")
    ctx.fail(message, snippet(ctx, call, message, ctx.rule), call.vector(name.lower(), ctx.rule,
                                                                         expected),
             call.function)


def check_calls(strategy, fixed=tuple, *, share: int = 1):
    """A property's check: every call of ``fixed()`` (exhaustive or stored ones), then the
    calls ``strategy`` draws (the profile's examples divided by ``share``), each judged."""
    def check(ctx):
        for call in fixed():
            if ctx.on_example is not None:
                ctx.on_example()
            judge(ctx, call)
        run_examples(fewer_examples(ctx, share), strategy, lambda call: judge(ctx, call))
    return check


def _literal(ctx, call, name, array, requires_grad):
    code = call.builders.get(name)
    if code is None:
        return tensor_literal(array, ctx.device, requires_grad)
    return f"({code}).to({ctx.device!r})" + (".requires_grad_()" if requires_grad else "")


def snippet(ctx, call, message, rule) -> str:
    """The failing call as a script: tensors, the call, and for a gradient its backward."""
    signature = SIGNATURES[call.forward]
    requires_grad = set(call.grads) | ({"inputs"} if call.is_gradient else set())
    if message.endswith(GRAD_NOTE):
        requires_grad.add("inputs")
    setup, arguments = [], []
    for name in signature.tensors:
        array = call.inputs.get(name)
        if array is None:
            arguments.append("None")
            continue
        setup.append(f"{name} = {_literal(ctx, call, name, array, name in requires_grad)}")
        arguments.append(name)
    arguments += [repr(n) for n in positional_numbers(call.forward, call.arguments)]
    after = []
    if call.is_gradient:
        after = [f"result.backward({_literal(ctx, call, 'grad_output', call.inputs['grad_output'], False)})",
                 "print(inputs.grad)"]
    return function_snippet(ctx.target, call.forward, arguments, rule=rule, message=message,
                            setup=setup, after=after)
