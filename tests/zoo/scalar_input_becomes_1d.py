"""Returns shape (1,) for 0-d inputs (computes on torch.atleast_1d(inputs)); breaks the rule that outputs have the broadcast shape of inputs and amax."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"degenerate_shapes"})


class _Kernel(Kernel):
    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        inputs = torch.atleast_1d(inputs)  # the bug: never squeezed back
        return super().quantize(inputs, amax, num_bits, unsigned, narrow_range)


fake_tensor_quant, tensor_quant = export(_Kernel())
