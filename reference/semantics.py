"""The knobs that separate the article's semantics from its known variations.

``ARTICLE`` is the specification: every field at its default reproduces the
article's code bit for bit. Each other value of a field is a behaviour seen
in a shipping implementation; ``reference.variations`` gives them names and
documents them. The oracle reads these fields in exactly one place each.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

__all__ = ["ARTICLE", "Semantics"]

Quantize = Literal["multiply", "divide_step", "multiply_reciprocal_step"]
Dequantize = Literal["divide_multiplier", "multiply_step"]
Compute = Literal["article", "float32"]
ZeroAmax = Literal["inclusive_signed", "strict_positive_zero"]
Rounding = Literal["half_even", "half_away", "toward_zero"]
SteMask = Literal["raw_inclusive", "rounded_code", "pass_through"]


@dataclasses.dataclass(frozen=True)
class Semantics:
    """One complete choice of arithmetic for tensor_quant / fake_tensor_quant.

    Fields (the article's choice first):

    quantize: ``multiply``: ``x * (max_bound / amax)``; ``divide_step``:
        ``x / (amax / max_bound)``; ``multiply_reciprocal_step``:
        ``x * fp32(1 / fp32(amax / max_bound))``.
    dequantize: ``divide_multiplier``: ``q / (max_bound / amax)``;
        ``multiply_step``: ``q * (amax / max_bound)``.
    compute: ``article``: float16 upcast, bfloat16 and float64 kept, PyTorch
        promotion; ``float32``: every dtype computed in float32, cast back.
    zero_amax: ``inclusive_signed``: ``amax <= 2**-24`` quantizes with a zero
        multiplier (+-0, NaN for NaN/inf); ``strict_positive_zero``:
        ``amax < 2**-24`` gives +0 for every input.
    rounding: ``half_even`` (``torch.round``); ``half_away``; ``toward_zero``.
    always_narrow: the signed range is ``[-max_bound, max_bound]`` whatever
        ``narrow_range`` says.
    ste_mask: ``raw_inclusive``: gradient where ``|x| <= amax``;
        ``rounded_code``: where the unclamped code lies in the bounds;
        ``pass_through``: everywhere.
    """

    quantize: Quantize = "multiply"
    dequantize: Dequantize = "divide_multiplier"
    compute: Compute = "article"
    zero_amax: ZeroAmax = "inclusive_signed"
    rounding: Rounding = "half_even"
    always_narrow: bool = False
    ste_mask: SteMask = "raw_inclusive"

    def changes(self) -> dict:
        """The fields that differ from the article, as ``{name: value}``."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        }


ARTICLE = Semantics()
