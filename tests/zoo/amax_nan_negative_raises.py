"""Raises ValueError for an amax holding a NaN and a negative channel; breaks SPEC 2.3.

The check takes a NaN-ignoring minimum where the article takes
``amax.min() < 0``: ``min()`` propagates NaN and ``NaN < 0`` is false, so the
article goes on and quantizes the negative channel with a negative scale.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_channel", "quant_per_channel", "errors"})


class _Kernel(Kernel):
    def check_amax(self, amax):
        if amax.nan_to_num(nan=0.0).min() < 0:  # the bug: NaN ignored
            raise ValueError("Negative values in amax")


fake_tensor_quant, tensor_quant = export(_Kernel())
