"""The descriptor accepts an int amax; breaks SPEC 1.7 (amax must be float, list or ndarray: TypeError)."""

import numpy as np

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_rules"})


class QuantDescriptor(Descriptor):
    def amax_type_ok(self, amax):
        return isinstance(amax, (int, float, list, np.ndarray))  # the bug: int too


fake_tensor_quant, tensor_quant = export(Kernel())
