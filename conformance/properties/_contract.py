"""What the properties of a call's observable contract (SPEC.md section 7) share.

Which functions a target exposes, a smaller budget of examples for checks
that are structural (one example already exercises every combination), the
failure with its reproduction, and the tensors a call returned.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import settings

from ..oracle import returned_tensors
from ..repro import call_snippet
from ..targets import checked_functions
from ._base import run_examples

__all__ = ["call_text", "examples", "fail", "functions", "readable_amax", "results", "shared_with"]


def functions(ctx) -> list[str]:
    """The functions a contract check calls: the target's checked functions (one rule,
    in :func:`conformance.targets.checked_functions`)."""
    return checked_functions(ctx.target)


def examples(ctx, strategy, body, *, share: float, minimum: int = 8) -> None:
    """``run_examples`` with ``share`` of the profile's examples (at least ``minimum``).

    A structural check walks every combination inside one example, so it needs
    few: the ``ci`` profile's 150 at a share of 0.2 are 30.
    """
    base = ctx.settings.max_examples
    count = min(base, max(minimum, round(base * share)))
    run_examples(dataclasses.replace(ctx, settings=settings(ctx.settings, max_examples=count)),
                 strategy, body)


def call_text(function, case, grad_mode=None) -> str:
    """The positional call's source line, under ``with torch.<grad_mode>():`` when given."""
    line = (f"result = target.{function}(inputs, amax, {case.num_bits!r}, {case.unsigned!r}, "
            f"{case.narrow_range!r})")
    return line if grad_mode is None else f"with torch.{grad_mode}():\n    {line}"


def fail(ctx, function, case, message, *, after=(), expected=None, actual=None, grads=(),
         call=None):
    """Fail the property with the call's ready-to-paste reproduction."""
    ctx.fail(message, call_snippet(ctx.target, ctx.device, function, case, rule=ctx.rule,
                                   message=message, expected=expected, actual=actual,
                                   semantics=ctx.semantics, after=after, grads=grads, call=call),
             case, function)


def results(ctx, function, case, result):
    """The tensors ``result`` holds (outputs, or outputs and scale); fails on junk."""
    items, problem = returned_tensors(function, result)
    if problem:
        fail(ctx, function, case, problem)
    return items


def readable_amax(amax):
    """``amax`` with every element that quantizes all to 0 or NaN (tiny, inf, NaN) set to 1.

    Checks that compare two calls of the target need outputs that differ from
    element to element, or a misread element goes unseen.
    """
    wide = np.asarray(amax).astype(np.float64)
    return np.where(np.isfinite(wide) & (wide > 2.0**-20), wide, 1.0).astype(amax.dtype)


def shared_with(tensor, named) -> str | None:
    """The name of the first of ``named`` (name, tensor) whose memory ``tensor`` shares."""
    if tensor.numel() == 0:
        return None
    storage = tensor.untyped_storage().data_ptr()
    for name, other in named:
        if other is not None and other.numel() and \
                other.untyped_storage().data_ptr() == storage:
            return name
    return None
