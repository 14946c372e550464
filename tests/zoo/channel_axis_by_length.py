"""Finds the channel axis as inputs.shape.index(amax.numel()) and reshapes amax onto it; breaks SPEC 2 broadcasting (PyTorch rules, trailing dimensions aligned).

Right whenever the channel axis is the first axis of its length; wrong when an
earlier axis has the same length (e.g. inputs (4, 4, 3) with amax (1, 4, 1)).
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        if amax.numel() > 1 and amax.numel() in inputs.shape:
            axis = inputs.shape.index(amax.numel())  # the bug: the first axis of that length
            shape = [1] * inputs.dim()
            shape[axis] = amax.numel()
            amax = amax.reshape(shape)
        return super().quantize(inputs, amax, num_bits, unsigned, narrow_range)


fake_tensor_quant, tensor_quant = export(_Kernel())
