"""Named, documented deviations from the article, each seen in a shipping kernel.

A target declares the variations it implements (``CONFORMANCE_TARGET
["variations"]``); the suite then checks it against the reference with
exactly those variations applied (``combine``). Each variation sets one
field of ``reference.semantics.Semantics``; two variations that set the same
field cannot be combined.
"""

from __future__ import annotations

import dataclasses

from .semantics import ARTICLE, Semantics

__all__ = ["VARIATIONS", "Variation", "VariationError", "combine"]


class VariationError(ValueError):
    """An unknown variation name, or two that contradict each other."""


@dataclasses.dataclass(frozen=True)
class Variation:
    """One named deviation: which Semantics field it sets, and where it is seen."""

    name: str
    field: str
    value: object
    summary: str
    seen_in: str


VARIATIONS: dict[str, Variation] = {
    v.name: v
    for v in (
        Variation(
            "quantize_divide_step", "quantize", "divide_step",
            "quantize as rne(x / (amax / max_bound)) instead of rne(x * (max_bound / amax))",
            "ONNX QuantizeLinear (and the graph pytorch-quantization exports)",
        ),
        Variation(
            "quantize_multiply_reciprocal", "quantize", "multiply_reciprocal_step",
            "quantize as rne(x * fp32(1 / (amax / max_bound))), a multiply by the step's reciprocal",
            "torch.fake_quantize_per_tensor_affine / _per_channel_affine (CPU and CUDA)",
        ),
        Variation(
            "dequantize_multiply_step", "dequantize", "multiply_step",
            "dequantize as q * (amax / max_bound) instead of q / (max_bound / amax)",
            "torch.fake_quantize_*; ONNX DequantizeLinear",
        ),
        Variation(
            "compute_float32", "compute", "float32",
            "compute every dtype in float32 (bfloat16 and float64 too) and cast the result back",
            "pytorch-quantization CUDA extension; ModelOpt 0.47 on CPU and CUDA",
        ),
        Variation(
            "zero_amax_strict", "zero_amax", "strict_positive_zero",
            "amax < 2**-24 (strict) gives +0 for every input, NaN and inf included",
            "pytorch-quantization and ModelOpt CUDA kernels (fake_tensor_quant_device)",
        ),
        Variation(
            "always_narrow", "always_narrow", True,
            "the signed range is [-max_bound, max_bound] even when narrow_range=False",
            "pytorch-quantization 2.2.1 CUDA extension (narrow_range is never passed to the kernel)",
        ),
        Variation(
            "round_half_away", "rounding", "half_away",
            "round .5 ties away from zero instead of to even",
            "pytorch-quantization CUDA kernel up to 2.1.2; ONNX Runtime, tract, OpenVINO QuantizeLinear",
        ),
        Variation(
            "ste_rounded_code", "ste_mask", "rounded_code",
            "the gradient passes where the rounded, unclamped code lies within the bounds",
            "torch.fake_quantize_* backward (mask on the rounded value)",
        ),
        Variation(
            "ste_pass_through", "ste_mask", "pass_through",
            "the gradient passes everywhere (no clipping)",
            "ModelOpt TensorQuantizer default (pass_through_bwd=True)",
        ),
    )
}


def combine(names, base: Semantics = ARTICLE) -> Semantics:
    """The semantics with the named variations applied; raises VariationError."""
    changes: dict[str, tuple[str, object]] = {}
    for name in names:
        try:
            variation = VARIATIONS[name]
        except KeyError:
            raise VariationError(
                f"unknown variation {name!r}; known variations: {', '.join(sorted(VARIATIONS))}."
            ) from None
        if variation.field in changes and changes[variation.field][0] != name:
            other = changes[variation.field][0]
            raise VariationError(
                f"variations {other!r} and {name!r} both set {variation.field!r}; declare one."
            )
        changes[variation.field] = (name, variation.value)
    return dataclasses.replace(base, **{f: v for f, (_, v) in changes.items()})
