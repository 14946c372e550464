"""Reads the inputs from the start of their storage (strides kept, storage offset dropped); breaks SPEC 7 (every memory layout of every tensor argument).

Contiguous, transposed and channels_last inputs are right; ``x[1:]``,
``batch[i]`` and ``narrow`` views read elements that are not theirs.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"strided_inputs"})


class _Kernel(Kernel):
    def upcast(self, inputs, amax):
        if inputs.storage_offset():
            inputs = inputs.as_strided(inputs.shape, inputs.stride(), 0)  # the bug
        return super().upcast(inputs, amax)


fake_tensor_quant, tensor_quant = export(_Kernel())
