"""Flattens a per-channel amax and applies it along axis 0; breaks SPEC 2 broadcasting (PyTorch rules, trailing dimensions aligned).

Right for keepdims amax on axis 0 (Conv and Linear weights), wrong for every
other axis and for trailing-broadcast amax shapes.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        if amax.numel() > 1 and inputs.dim() > 0 and inputs.shape[0] == amax.numel():
            amax = amax.reshape([-1] + [1] * (inputs.dim() - 1))  # the bug: always axis 0
        return super().quantize(inputs, amax, num_bits, unsigned, narrow_range)


fake_tensor_quant, tensor_quant = export(_Kernel())
