"""The knobs that separate the article's semantics from its known variations.

``ARTICLE`` is the specification: every field at its default reproduces the
article's code bit for bit. Each other value of a field is a behaviour seen
in a shipping implementation; ``reference.variations`` gives them names,
documents them and holds an input that shows each one. The oracle reads these
fields in exactly one place each.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = ["ARTICLE", "Semantics"]

Quantize = Literal["multiply", "divide_step", "multiply_reciprocal_step"]
Dequantize = Literal["divide_multiplier", "multiply_step"]
Compute = Literal["article", "float32", "opmath"]
ZeroAmax = Literal["inclusive_signed", "strict_positive_zero", "none"]
Rounding = Literal["half_even", "half_away", "toward_zero"]
SignedRange = Literal["per_flag", "narrow", "full"]
NanClamp = Literal["propagate", "lower_bound"]
SteMask = Literal["raw_inclusive", "rounded_code", "pass_through"]
SteApply = Literal["where", "multiply"]


@dataclasses.dataclass(frozen=True)
class Semantics:
    """One complete choice of arithmetic for tensor_quant / fake_tensor_quant.

    Fields (the article's choice first):

    quantize: ``multiply``: ``x * (max_bound / amax)``; ``divide_step``:
        ``x / (amax / max_bound)``; ``multiply_reciprocal_step``:
        ``x * fp32(1 / fp32(amax / max_bound))``.
    dequantize: ``divide_multiplier``: ``q / (max_bound / amax)`` in the
        compute dtype; ``multiply_step``: ``fp32(q) * fp32(amax / max_bound)``,
        always in float32 (C++ ``int64 * float``; ONNX's float scale), then
        cast to the output dtype.
    compute: ``article``: float16 upcast, bfloat16 and float64 kept, PyTorch
        promotion; ``float32``: every dtype (float64 too) computed in float32
        and cast back; ``opmath``: float16 and bfloat16 computed in float32,
        float64 in float64, cast back.
    zero_amax: ``inclusive_signed``: if ``amax.min() <= 2**-24`` (false when
        amax holds a NaN), ``amax <= 2**-24`` quantizes with a zero
        multiplier (+-0, NaN for NaN/inf); ``strict_positive_zero``:
        ``amax < 2**-24`` gives +0 for every input, element by element (no
        gate); ``none``: no threshold,
        every amax quantizes with its own step (a zero step has an infinite
        reciprocal).
    rounding: ``half_even`` (``torch.round``); ``half_away``; ``toward_zero``.
    signed_range: ``per_flag``: ``narrow_range`` chooses
        ``[-max_bound, max_bound]`` or ``[-max_bound - 1, max_bound]``;
        ``narrow`` / ``full``: that range whatever the flag says.
    nan_clamp: ``propagate``: NaN codes stay NaN (``torch.clamp``);
        ``lower_bound``: the clamp is ``fmin(fmax(q, qmin), qmax)``, which maps
        NaN to the lower bound.
    ste_mask: ``raw_inclusive``: gradient where ``|x| <= amax``;
        ``rounded_code``: where the rounded, unclamped code lies in the
        bounds; ``pass_through``: everywhere.
    ste_apply: ``where``: ``where(mask, grad_output, 0)``; ``multiply``:
        ``grad_output * mask``, so NaN or inf outside the mask gives NaN and a
        negative gradient outside it gives -0.
    """

    quantize: Quantize = "multiply"
    dequantize: Dequantize = "divide_multiplier"
    compute: Compute = "article"
    zero_amax: ZeroAmax = "inclusive_signed"
    rounding: Rounding = "half_even"
    signed_range: SignedRange = "per_flag"
    nan_clamp: NanClamp = "propagate"
    ste_mask: SteMask = "raw_inclusive"
    ste_apply: SteApply = "where"

    def changes(self) -> dict:
        """The fields that differ from the article, as ``{name: value}``."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        }


ARTICLE = Semantics()
