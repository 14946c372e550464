"""A descriptor whose num_bits property never returns: a hang outside any call of the target."""

import threading

from reference.descriptor import QuantDescriptor as _Article

from .._kernel import make

fake_tensor_quant, tensor_quant = make()


class QuantDescriptor(_Article):
    @property
    def num_bits(self):
        threading.Event().wait()
