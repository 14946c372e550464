"""Reads amax from the start of its storage, as a C++ kernel on ``amax.storage().data()`` would; breaks SPEC 7 (every memory layout of every tensor argument).

Fresh amax tensors start at offset 0, so every test made of them passes; an
amax selected from a buffer of amaxes (``amaxes[i]``, ``amax_all[1:]``) is
read from the wrong place.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"strided_inputs"})


class _Kernel(Kernel):
    def upcast(self, inputs, amax):
        if amax.storage_offset():
            amax = amax.as_strided(amax.shape, amax.stride(), 0)  # the bug: offset dropped
        return super().upcast(inputs, amax)


fake_tensor_quant, tensor_quant = export(_Kernel())
