"""Returns the inputs themselves (a view) from fake_tensor_quant when quantizing moves no element; breaks SPEC 7 (outputs never share memory with the arguments).

Fake quantization is idempotent, so the values are right; but the caller now
holds one tensor under two names, and writing to the result writes to the inputs.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"inputs_unmodified"})


class _Kernel(Kernel):
    def fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        outputs = super().fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)
        if outputs.dtype == inputs.dtype and outputs.shape == inputs.shape and \
                torch.equal(outputs, inputs):
            return inputs.view_as(inputs)  # the bug: "nothing changed" fast path
        return outputs


fake_tensor_quant, tensor_quant = export(_Kernel())
