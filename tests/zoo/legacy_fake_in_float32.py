"""legacy_fake_tensor_quant computes in float32 and casts back, as the CUDA extension does;
breaks SPEC 6.3 (legacy_fake_tensor_quant is the article's pure path: bf16 is not upcast,
fp64 is kept)."""

import torch

from ._base import export
from ._section6 import Section6Kernel, export_section6

CAUGHT_BY = frozenset({"legacy_fake"})


class _Kernel(Section6Kernel):
    def legacy_fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        wide = self.fake_tensor_quant(inputs.float(), amax.float(), num_bits, unsigned,
                                      narrow_range)
        return wide.to(torch.promote_types(inputs.dtype, amax.dtype))  # the bug


fake_tensor_quant, tensor_quant = export(_Kernel())
globals().update(export_section6(_Kernel()))
