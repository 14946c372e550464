"""scaled_e4m3 (SPEC 6.3): FP8 E4M3 values, the zero mask, and the clipped gradient.

Every float16 and bfloat16 input, and every E4M3 boundary in float32 and
float64, is checked first (``exhaustive_calls``): that pins the conversion
itself, so the drawn calls (a third of the profile's examples) only add
combinations of dtypes, amax, shapes and formats.
"""

from __future__ import annotations

import functools

from ..strategies.fp8 import e4m3_calls, exhaustive_calls
from ._base import Property
from ._section6 import check_calls

PROPERTIES = [
    Property("e4m3_values",
             "scaled_e4m3 equals the reference bit for bit: e4m3(x) or e4m3(x * s) / s with "
             "s = amax.reciprocal() * 448, E4M3 rounding to nearest even, finite overflow and "
             "inf saturating to +-448, NaN kept, |x| < 2**-24 set to +0, in the dtype PyTorch "
             "promotion gives (every float16 and bfloat16 input checked); NotImplementedError "
             "unless E=4 and M=3",
             frozenset({"scaled_e4m3"}),
             check_calls(e4m3_calls(), functools.partial(exhaustive_calls, gradient=False),
                         share=3)),
    Property("e4m3_gradient",
             "scaled_e4m3's input gradient is grad_output where |x| <= amax (amax as float32; "
             "448 when amax is None), inclusive, and 0 elsewhere (NaN included), in the inputs' "
             "dtype; amax gets no gradient",
             frozenset({"scaled_e4m3"}),
             check_calls(e4m3_calls(gradient=True),
                         functools.partial(exhaustive_calls, gradient=True), share=3)),
]
