"""Leaves the codes of float16 inputs in float32; breaks SPEC 2.8 (float16 inputs get float16 codes).

tensor_quant returns float32 codes, and fake_tensor_quant divides float32
codes by the float16 scale, so its outputs are float32 too.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def downcast(self, outputs, input_dtype):
        return outputs  # the bug: no .half()


fake_tensor_quant, tensor_quant = export(_Kernel())
