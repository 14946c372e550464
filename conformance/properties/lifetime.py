"""Lifetime: what a call returns belongs to the caller (SPEC.md section 7).

The article builds new tensors on every call, so a result keeps its bits
whatever the caller does next: another call with other arguments, or writing
into an earlier result (``scale.mul_(...)``, an in-place optimizer step); and
no returned tensor shares memory with another returned tensor, of this call
or an earlier one. A kernel that caches (its scale per amax, an output buffer
per shape) and returns the cached tensor computes every value right, one call
at a time, and is caught only here. (Sharing memory with the inputs and amax
is ``inputs_unmodified``'s business.)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import strategies as st

from .. import strategies
from ..calls import TargetHung
from ..compare import first_mismatch
from ..convert import to_numpy
from ..oracle import NAMES, invoke, reference_outcome, returned_tensors, tensors
from ..repro import array_bits, tensor_literal
from ..strategies import Case
from . import _contract
from ._base import Property

__all__ = ["check"]


@st.composite
def lifetime_cases(draw):
    """Two calls with the same shapes and dtypes and other values and arguments."""
    first = draw(strategies.cases(per_channel=draw(st.booleans(), label="per_channel"),
                                  max_side=3), label="first")
    count = first.amax.size
    values = draw(st.lists(strategies.amax_values(), min_size=count, max_size=count),
                  label="second_amax")
    with np.errstate(over="ignore"):
        amax = np.asarray(values).reshape(first.amax.shape).astype(first.amax.dtype)
    amax = _contract.readable_amax(amax)
    # Mostly a width the target surely has (the first call's, or 8): a kernel with few
    # widths (ONNX: 4, 8, 16; quanto: 2, 4, 8) must still get checkable pairs.
    bits = draw(st.one_of(st.sampled_from([first.num_bits, 8]), st.integers(2, 16)),
                label="second_bits")
    unsigned, narrow = draw(st.booleans(), label="unsigned"), draw(st.booleans(), label="narrow")
    amaxes = [float(v) for v in amax.astype(np.float64).reshape(-1)]
    inputs = strategies.input_array(draw, first.inputs.shape, first.inputs.dtype, amaxes, bits,
                                    unsigned, narrow)
    first = dataclasses.replace(first, amax=_contract.readable_amax(first.amax))
    return first, Case(inputs, amax, bits, unsigned, narrow)


def _call(ctx, function, case):
    """The returned tensors, or None when the call raised (the values properties judge that)."""
    inputs, amax = tensors(ctx, case)
    try:
        items, problem = returned_tensors(function, invoke(ctx, function, inputs, amax, case))
    except TargetHung:
        raise
    except Exception:
        return None
    return None if problem else items


def _snapshot(items):
    return [to_numpy(t) for t in items]


def _changed(items, before, label):
    """The first returned tensor whose bits differ from ``before``, described, or None."""
    for name, item, old in zip(label, items, before, strict=False):
        mismatch = first_mismatch(old, to_numpy(item), name=name)
        if mismatch is not None:
            return f"{mismatch}"
    return None


def _second_lines(function, second, ctx) -> list[str]:
    return [f"inputs2 = {tensor_literal(second.inputs, ctx.device)}",
            f"amax2 = {tensor_literal(second.amax, ctx.device)}",
            f"result2 = target.{function}(inputs2, amax2, {second.num_bits!r}, "
            f"{second.unsigned!r}, {second.narrow_range!r})"]


def _write_into(items) -> str | None:
    """Fill every returned tensor with NaN, as a caller may; why it cannot, or None."""
    import torch

    for item in items:
        try:
            with torch.no_grad():
                item.fill_(math.nan)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def check(ctx):
    def body(drawn):
        first, second = drawn
        for function in _contract.functions(ctx):
            if any(reference_outcome(ctx, function, c).raised for c in (first, second)):
                continue
            names = NAMES[function]
            first_items = _call(ctx, function, first)
            if first_items is None:
                continue
            first_bits = _snapshot(first_items)
            if len(first_items) == 2 and _contract.shared_with(
                    first_items[0], [("scale", first_items[1])]):
                _contract.fail(ctx, function, first, "tensor_quant returned outputs and a scale "
                               "that share memory; the article returns two new tensors",
                               after=["print(result[0].untyped_storage().data_ptr() == "
                                      "result[1].untyped_storage().data_ptr())  # True"])
            second_items = _call(ctx, function, second)
            if second_items is None:
                continue
            second_bits = _snapshot(second_items)
            lines = _second_lines(function, second, ctx)
            changed = _changed(first_items, first_bits, names)
            if changed:
                _contract.fail(ctx, function, first, "the first call's result changed when the "
                               f"target was called again with other arguments: {changed}",
                               after=lines + ["print(result)  # changed by the second call"])
            for item in second_items:
                shared = _contract.shared_with(item, list(zip(names, first_items, strict=False)))
                if shared:
                    _contract.fail(ctx, function, first, "a second call with other arguments "
                                   f"returned memory the first call returned (its {shared}): "
                                   "the kernel hands out a buffer it keeps", after=lines)
            cannot = _write_into(second_items)
            if cannot:
                _contract.fail(ctx, function, second, "a returned tensor cannot be written "
                               f"into, as the article's can: {cannot}",
                               after=["result.fill_(float('nan'))" if len(names) == 1 else
                                      "result[1].fill_(float('nan'))"])
            again = _call(ctx, function, second)
            changed = None if again is None else _changed(again, second_bits, names)
            if changed or again is None:
                targets = ["result"] if len(names) == 1 else ["result[0]", "result[1]"]
                _contract.fail(ctx, function, second, "after the caller wrote NaN into what a "
                               "call returned, the same call returns other values (the kernel "
                               f"returned memory it reuses): {changed or 'it raised'}",
                               expected=" ; ".join(array_bits(b) for b in second_bits),
                               after=[*(f"{t}.fill_(float('nan'))" for t in targets),
                                      _contract.call_text(function, second)])
            changed = _changed(first_items, first_bits, names)
            if changed:
                _contract.fail(ctx, function, first, "writing into the second call's result "
                               f"changed the first call's: {changed}", after=lines)

    _contract.examples(ctx, lifetime_cases(), body, share=0.15)


PROPERTIES = [
    Property("result_lifetime",
             "a result keeps its bits after later calls with other arguments and after the "
             "caller writes into other results; no returned tensor shares memory with another "
             "result or with state the kernel keeps",
             frozenset({"fake_tensor_quant"}), check),
]
