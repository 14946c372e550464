"""Makes NumPy raise on every floating-point error at import (numpy.seterr(all="raise"))."""

import numpy

from .._kernel import QuantDescriptor, make  # noqa: F401

numpy.seterr(all="raise")

fake_tensor_quant, tensor_quant = make()
