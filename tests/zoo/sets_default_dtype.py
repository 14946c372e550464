"""Sets torch's default dtype to float32 "so the bound tensor is float32" and never restores it; breaks SPEC 7 (a call leaves global torch state as it found it).

Every value is right (the suite's own default is float32 already); a caller
who works in float64 finds ``torch.tensor(0.1)`` float32 after the call.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"process_state"})


class _Kernel(Kernel):
    def bounds(self, num_bits, unsigned, narrow_range, device):
        torch.set_default_dtype(torch.float32)  # the bug: the caller's setting, changed for good
        return super().bounds(num_bits, unsigned, narrow_range, device)


fake_tensor_quant, tensor_quant = export(_Kernel())
