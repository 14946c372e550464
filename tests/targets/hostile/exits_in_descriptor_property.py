"""A descriptor whose num_bits property raises SystemExit: target code reached outside a call."""

import sys

from reference.descriptor import QuantDescriptor as _Article

from .._kernel import make

fake_tensor_quant, tensor_quant = make()


class QuantDescriptor(_Article):
    @property
    def num_bits(self):
        sys.exit(3)
