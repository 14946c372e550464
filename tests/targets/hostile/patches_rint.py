"""Replaces numpy.rint with round-half-away at import: the NumPy oracle would round like it."""

import numpy

from .._kernel import QuantDescriptor, make  # noqa: F401

_rint = numpy.rint


def _half_away(x, *args, **kwargs):
    return numpy.where(numpy.asarray(x) >= 0, numpy.floor(numpy.asarray(x) + 0.5),
                       numpy.ceil(numpy.asarray(x) - 0.5))


numpy.rint = _half_away

fake_tensor_quant, tensor_quant = make(rounding="half_away")
