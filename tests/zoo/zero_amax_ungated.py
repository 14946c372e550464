"""Masks a zero amax whenever any element is <= 2**-24, ignoring that min() propagates NaN; breaks SPEC 2.5.

The article masks only if ``amax.min() <= 2**-24``: with a NaN channel that
min is NaN and the test false, so a zero channel keeps the multiplier
``max_bound / 0 = inf`` (codes +-bound, NaN for x = 0, scale inf). This
kernel gives it +-0 codes and scale 1, as ``(amax <= 2**-24).any()`` or an
elementwise ``where`` does.
"""

from ._base import EPSILON, Kernel, export

CAUGHT_BY = frozenset({"fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def zero_gate(self, amax):
        return bool((amax <= EPSILON).any())  # the bug: any() instead of min()


fake_tensor_quant, tensor_quant = export(_Kernel())
