"""Raises TypeError for unsigned inputs holding a NaN and a negative element; breaks SPEC 2.1.

The check takes a NaN-ignoring minimum (``nanmin``-style: NaN replaced by 0)
where the article takes ``inputs.min() < 0``: ``min()`` propagates NaN and
``NaN < 0`` is false, so the article accepts such inputs and clamps the
negatives to 0.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel",
                       "quant_per_channel", "errors"})


class _Kernel(Kernel):
    def check_unsigned(self, inputs, unsigned):
        if unsigned and inputs.nan_to_num(nan=0.0).min() < 0.0:  # the bug: NaN ignored
            raise TypeError("Negative values encountered in unsigned quantization.")


fake_tensor_quant, tensor_quant = export(_Kernel())
