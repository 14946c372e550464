"""For channels_last inputs, computes on the NHWC storage and reshapes (instead of permuting) back to NCHW; breaks the rule that non-contiguous inputs give the values of their contiguous copies."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"strided_inputs"})


def _is_channels_last(t):
    return t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last)


class _Kernel(Kernel):
    def fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        if _is_channels_last(inputs) and amax.numel() == 1:
            nhwc = inputs.permute(0, 2, 3, 1)
            out = super().fake_tensor_quant(nhwc, amax, num_bits, unsigned, narrow_range)
            return out.reshape(inputs.shape)  # the bug: reshape where permute(0, 3, 1, 2) is needed
        return super().fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)


fake_tensor_quant, tensor_quant = export(_Kernel())
