"""Turns flush-denormal off "for exact subnormals" before computing and leaves it off; breaks SPEC 7 (a call leaves the caller's flush-denormal setting as it found it).

Values are right (and the suite computes with subnormals anyway); a caller
who runs with ``torch.set_flush_denormal(True)`` for speed silently loses it.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"process_state"})


class _Kernel(Kernel):
    def product(self, inputs, scale):
        torch.set_flush_denormal(False)  # the bug: not restored
        return super().product(inputs, scale)


fake_tensor_quant, tensor_quant = export(_Kernel())
