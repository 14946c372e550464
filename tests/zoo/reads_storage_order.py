"""Reads the inputs in storage order (as_strided with unit strides) assuming they are contiguous; breaks the rule that non-contiguous inputs give the values of their contiguous copies.

Transposed, step-sliced and channels_last inputs quantize the wrong
elements (or raise, for expanded inputs).
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"strided_inputs"})


class _Kernel(Kernel):
    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        if inputs.numel() > 0:
            # the bug: element i is taken from storage offset i, as a C kernel on data_ptr() would
            inputs = inputs.as_strided(inputs.shape, inputs.new_empty(inputs.shape).stride(),
                                       inputs.storage_offset())
        return super().quantize(inputs, amax, num_bits, unsigned, narrow_range)


fake_tensor_quant, tensor_quant = export(_Kernel())
