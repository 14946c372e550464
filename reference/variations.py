"""Named, documented deviations from the article, each seen in a shipping kernel.

A target declares the variations it implements (``CONFORMANCE_TARGET
["variations"]``); the suite then checks it against the reference with
exactly those variations applied (``combine``). Each variation sets one
field of ``reference.semantics.Semantics``; two variations that set the same
field cannot be combined.

This registry is the one place a variation is documented: what it changes,
which implementation does it, and an input that shows it (``example``: an
input on which the variation's output differs from the article's).
``docs/variations.md`` is generated from it (``python -m conformance report``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._xp import FLOAT_DTYPES
from .functions import fake_tensor_quant, ste_gradient, tensor_quant
from .semantics import ARTICLE, Semantics

__all__ = ["VARIATIONS", "Example", "Variation", "VariationError", "combine"]


class VariationError(ValueError):
    """An unknown variation name, or two that contradict each other."""


@dataclasses.dataclass(frozen=True)
class Example:
    """One call on which a variation changes the result.

    ``function`` is ``tensor_quant`` (compared on the codes),
    ``fake_tensor_quant`` or ``ste_gradient`` (every grad_output element
    ``grad_output``).
    Values are Python floats, rounded into ``dtype`` / ``amax_dtype``.
    """

    function: str
    inputs: tuple[float, ...]
    amax: float
    dtype: str = "float32"
    amax_dtype: str = "float32"
    num_bits: int = 8
    unsigned: bool = False
    narrow_range: bool = True
    grad_output: float = 1.0

    def arrays(self):
        """``(inputs, amax)`` as NumPy arrays of the example's dtypes."""
        x = np.asarray(self.inputs, dtype=np.float64).astype(FLOAT_DTYPES[self.dtype])
        amax = np.asarray(self.amax, dtype=np.float64).astype(FLOAT_DTYPES[self.amax_dtype])
        return x, amax

    def evaluate(self, semantics: Semantics = ARTICLE):
        """The reference's result for this example under ``semantics``."""
        x, amax = self.arrays()
        args = (self.num_bits, self.unsigned, self.narrow_range)
        if self.function == "tensor_quant":
            return tensor_quant(x, amax, *args, semantics=semantics)[0]
        if self.function == "fake_tensor_quant":
            return fake_tensor_quant(x, amax, *args, semantics=semantics)
        grad = np.full_like(x, self.grad_output)
        return ste_gradient(x, amax, grad, *args, semantics=semantics)

    def call(self) -> str:
        """The call, written as a person would type it."""
        xs = ", ".join(repr(v) for v in self.inputs)
        flags = f"num_bits={self.num_bits}, unsigned={self.unsigned}, narrow_range={self.narrow_range}"
        return (f"{self.function}(x=[{xs}] ({self.dtype}), amax={self.amax!r} "
                f"({self.amax_dtype}), {flags})")


@dataclasses.dataclass(frozen=True)
class Variation:
    """One named deviation: which Semantics field it sets, and where it is seen."""

    name: str
    field: str
    value: object
    summary: str
    seen_in: str
    example: Example

    @property
    def semantics(self) -> Semantics:
        """The article with this variation alone applied."""
        return dataclasses.replace(ARTICLE, **{self.field: self.value})


_TIE_NEAR = 0.011811024509370327        # float32 just above 0.5 * fp32(3/127)
_RECIPROCAL_TIE = 0.001181102474220097  # float32 where fp32(1/step) and fp32(127/amax) part

VARIATIONS: dict[str, Variation] = {
    v.name: v
    for v in (
        Variation(
            "quantize_divide_step", "quantize", "divide_step",
            "quantize as rne(x / (amax / max_bound)) instead of rne(x * (max_bound / amax))",
            "ONNX QuantizeLinear (y = saturate(x / y_scale)), and so every exported Q/DQ graph",
            Example("tensor_quant", (_TIE_NEAR,), 3.0),
        ),
        Variation(
            "quantize_multiply_reciprocal", "quantize", "multiply_reciprocal_step",
            "quantize as rne(x * fp32(1 / fp32(amax / max_bound))): a multiply by the float32 "
            "reciprocal of the float32 step",
            "torch.fake_quantize_per_tensor_affine / _per_channel_affine (CPU and CUDA: "
            "inv_scale = 1.0f / scale)",
            Example("tensor_quant", (_RECIPROCAL_TIE,), 0.3),
        ),
        Variation(
            "dequantize_multiply_step", "dequantize", "multiply_step",
            "dequantize as fp32(q) * fp32(amax / max_bound), in float32 for every dtype, instead "
            "of q / (max_bound / amax)",
            "torch.fake_quantize_* ((q - zp) * scale, an int64 times a float); ONNX "
            "DequantizeLinear ((q - zp) * float scale)",
            Example("fake_tensor_quant", (0.07,), 1.0),
        ),
        Variation(
            "compute_float32", "compute", "float32",
            "compute every dtype in float32 (bfloat16 and float64 too, amax as well) and cast "
            "the result back to the input dtype",
            "pytorch-quantization CUDA extension; ModelOpt 0.47 (inputs.float(), amax.float()) "
            "on CPU and CUDA",
            Example("fake_tensor_quant", (1 / 3,), 1.0, dtype="float64"),
        ),
        Variation(
            "compute_opmath", "compute", "opmath",
            "compute float16 and bfloat16 in float32 and float64 in float64 (PyTorch's "
            "'opmath'), then cast the result back to the input dtype",
            "torch.fake_quantize_* on CPU (the element is promoted to float for x * inv_scale; "
            "a double stays double)",
            Example("fake_tensor_quant", (0.043212890625,), 1.0, dtype="bfloat16"),
        ),
        Variation(
            "zero_amax_strict", "zero_amax", "strict_positive_zero",
            "amax < 2**-24 (strict) gives +0 for every input, NaN and inf included; amax == "
            "2**-24 quantizes normally",
            "pytorch-quantization and ModelOpt CUDA kernels (fake_tensor_quant_device: "
            "if (amax < EPSILON) return 0.f)",
            Example("fake_tensor_quant", (-1.0, float("nan"), float("inf")), 0.0),
        ),
        Variation(
            "zero_amax_none", "zero_amax", "none",
            "no zero-amax threshold: every amax quantizes with its own step (2**-24 and below "
            "too); a zero step has an infinite reciprocal",
            "torch.fake_quantize_* and ONNX Q/DQ with scale = amax / max_bound (neither has a "
            "threshold)",
            Example("fake_tensor_quant", (2.0**-24,), 2.0**-24),
        ),
        Variation(
            "round_half_away", "rounding", "half_away",
            "round .5 ties away from zero instead of to even",
            "pytorch-quantization CUDA kernel up to 2.1.2 (round()); tract, OpenVINO EP, "
            "torch-mlir QuantizeLinear; ModelOpt's INT4 packer (roundf)",
            Example("tensor_quant", (2.5,), 127.0),
        ),
        Variation(
            "round_toward_zero", "rounding", "toward_zero",
            "truncate toward zero instead of rounding to nearest",
            "ONNX Runtime CPU float16 QuantizeLinear before PR #32452 (onnxruntime#18576)",
            Example("tensor_quant", (1.75,), 127.0),
        ),
        Variation(
            "always_narrow", "signed_range", "narrow",
            "the signed range is [-max_bound, max_bound] even when narrow_range=False",
            "pytorch-quantization 2.2.1 CUDA extension (narrow_range is never passed to the "
            "kernel)",
            Example("tensor_quant", (-2.0,), 1.0, narrow_range=False),
        ),
        Variation(
            "always_full_range", "signed_range", "full",
            "the signed range is [-max_bound - 1, max_bound] even when narrow_range=True",
            "ONNX QuantizeLinear (int8 saturates to [-128, 127]; there is no narrow range)",
            Example("tensor_quant", (-2.0,), 1.0, narrow_range=True),
        ),
        Variation(
            "nan_to_lower_bound", "nan_clamp", "lower_bound",
            "the clamp is fmin(fmax(q, qmin), qmax), so a NaN code becomes the lower bound "
            "instead of staying NaN",
            "torch.fake_quantize_per_tensor_affine on CPU (std::fmax(qval, quant_min))",
            Example("tensor_quant", (float("nan"),), 1.0),
        ),
        Variation(
            "ste_rounded_code", "ste_mask", "rounded_code",
            "the gradient passes where the rounded, unclamped code lies within the bounds, "
            "instead of where |x| <= amax",
            "torch.fake_quantize_* backward (mask = qmin <= round(x * inv_scale) <= qmax)",
            Example("ste_gradient", (1.002,), 1.0),
        ),
        Variation(
            "ste_multiply_mask", "ste_apply", "multiply",
            "the gradient is grad_output * mask instead of where(mask, grad_output, 0): NaN or "
            "inf outside the mask gives NaN, a negative one gives -0",
            "torch.fake_quantize_* backward (fake_quantize_*_cachemask_backward: dY * mask)",
            Example("ste_gradient", (2.0,), 1.0, grad_output=float("nan")),
        ),
        Variation(
            "ste_pass_through", "ste_mask", "pass_through",
            "the gradient passes everywhere (no clipping)",
            "ModelOpt TensorQuantizer default (pass_through_bwd=True)",
            Example("ste_gradient", (2.0,), 1.0),
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
