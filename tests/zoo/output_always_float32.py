"""Returns float32 outputs whatever the input dtype; breaks SPEC 2.8/3 (outputs keep the dtype the article gives them)."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        return super().fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range).float()

    def tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        codes, scale = super().tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)
        return codes.float(), scale  # the bug: .float() on the outputs


fake_tensor_quant, tensor_quant = export(_Kernel())
