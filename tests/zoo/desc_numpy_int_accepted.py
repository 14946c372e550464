"""The descriptor accepts numpy integers as num_bits; breaks SPEC 1.1 (numpy.int64 is not an int: TypeError)."""

import numpy as np

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_rules"})


class QuantDescriptor(Descriptor):
    def num_bits_type_ok(self, num_bits):
        return isinstance(num_bits, (int, np.integer))  # the bug: numpy integers too


fake_tensor_quant, tensor_quant = export(Kernel())
