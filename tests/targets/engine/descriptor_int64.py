"""Bug: QuantDescriptor accepts numpy.int64 num_bits (caught by descriptor_rules)."""

import numbers

from reference.descriptor import ScaledQuantDescriptor

from .._kernel import make

fake_tensor_quant, tensor_quant = make()


class QuantDescriptor(ScaledQuantDescriptor):
    def __init__(self, num_bits=8, name=None, **kwargs):
        if isinstance(num_bits, numbers.Integral) and not isinstance(num_bits, int):
            num_bits = int(num_bits)  # the bug: the article rejects numpy.int64
        super().__init__(num_bits, name, **kwargs)
