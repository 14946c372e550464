"""Pads a lower-rank amax with trailing 1s (NumPy-left alignment, "keepdims assumed"); breaks SPEC 2 broadcasting (trailing dimensions aligned).

Keepdims amax are right; an amax of shape (C,) for inputs (N, C) is applied
along axis 0 instead of the last axis.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        if 0 < amax.dim() < inputs.dim():
            # the bug: assumes amax's axes are the leading ones
            amax = amax.reshape(tuple(amax.shape) + (1,) * (inputs.dim() - amax.dim()))
        return super().quantize(inputs, amax, num_bits, unsigned, narrow_range)


fake_tensor_quant, tensor_quant = export(_Kernel())
