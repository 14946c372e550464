"""The descriptor rejects num_bits=True (checks type(num_bits) is int); breaks SPEC 1.1 (bool is an int and is accepted)."""

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_rules"})


class QuantDescriptor(Descriptor):
    def num_bits_type_ok(self, num_bits):
        return type(num_bits) is int  # the bug: excludes bool


fake_tensor_quant, tensor_quant = export(Kernel())
