"""SPEC.md section 1: ``ScaledQuantDescriptor`` (alias ``QuantDescriptor``).

The constructor checks its arguments in the article's order; the first rule
that fails raises. Each rule is marked ``# SPEC 1.N``.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = [
    "QUANT_DESC_8BIT_CONV1D_WEIGHT_PER_CHANNEL",
    "QUANT_DESC_8BIT_CONV2D_WEIGHT_PER_CHANNEL",
    "QUANT_DESC_8BIT_CONV3D_WEIGHT_PER_CHANNEL",
    "QUANT_DESC_8BIT_CONVTRANSPOSE1D_WEIGHT_PER_CHANNEL",
    "QUANT_DESC_8BIT_CONVTRANSPOSE2D_WEIGHT_PER_CHANNEL",
    "QUANT_DESC_8BIT_CONVTRANSPOSE3D_WEIGHT_PER_CHANNEL",
    "QUANT_DESC_8BIT_LINEAR_WEIGHT_PER_ROW",
    "QUANT_DESC_8BIT_PER_TENSOR",
    "QUANT_DESC_UNSIGNED_8BIT_PER_TENSOR",
    "PREDEFINED",
    "QuantDescriptor",
    "ScaledQuantDescriptor",
]

logger = logging.getLogger(__name__)


class ScaledQuantDescriptor:
    """How a tensor is quantized: bit width, axis, amax and range options."""

    def __init__(self, num_bits=8, name=None, **kwargs):
        # SPEC 1.1: an int (bool counts; numpy.int64 does not).
        if not isinstance(num_bits, int):
            raise TypeError(f"num_bits must be an integer, not {type(num_bits)}.")
        # SPEC 1.2
        if num_bits < 0:
            raise ValueError(f"num_bits must be >= 0, not {num_bits}.")
        # SPEC 1.3: accepted, but logged as an error.
        if num_bits == 0:
            logger.error(
                "num_bits is 0. This will result in the tensor being quantized to "
                "all zeros. This mode should only be used for debugging purposes."
            )
        self._num_bits = num_bits
        # SPEC 1.4
        if not isinstance(name, str) and name is not None:
            raise TypeError(f"name must be a string or None, not {type(name)}.")
        self._name = name
        # SPEC 1.5
        self._fake_quant = kwargs.pop("fake_quant", True)
        self._axis = kwargs.pop("axis", None)
        self._learn_amax = kwargs.pop("learn_amax", False)
        # SPEC 1.6
        if self._learn_amax and self._axis is not None:
            raise TypeError(
                "axis is ignored and must be None when learn_amax is true, "
                f"got {type(self._axis)}."
            )
        # SPEC 1.7: float (numpy.float64 included), list or ndarray only.
        amax = kwargs.pop("amax", None)
        if amax is not None:
            if not isinstance(amax, (float, list, np.ndarray)):
                raise TypeError(f"amax must be float, list or ndarray, not {type(amax)}")
            amax = np.array(amax, dtype=np.float32)
        self._amax = amax
        # SPEC 1.8
        self._scale_amax = kwargs.pop("scale_amax", None)
        self._calib_method = kwargs.pop("calib_method", "max")
        self._unsigned = kwargs.pop("unsigned", False)
        self._narrow_range = kwargs.pop("narrow_range", False)
        # SPEC 1.9
        if kwargs:
            raise TypeError(f"Unused keys: {kwargs.keys()}")

    num_bits = property(lambda self: self._num_bits)
    name = property(lambda self: self._name)
    fake_quant = property(lambda self: self._fake_quant)
    axis = property(lambda self: self._axis)
    learn_amax = property(lambda self: self._learn_amax)
    amax = property(lambda self: self._amax)
    scale_amax = property(lambda self: self._scale_amax)
    calib_method = property(lambda self: self._calib_method)
    unsigned = property(lambda self: self._unsigned)
    narrow_range = property(lambda self: self._narrow_range)

    def __repr__(self):
        return (
            f"QuantDescriptor(num_bits={self._num_bits!r}, name={self._name!r}, "
            f"fake_quant={self._fake_quant!r}, axis={self._axis!r}, "
            f"learn_amax={self._learn_amax!r}, amax={self._amax!r}, "
            f"scale_amax={self._scale_amax!r}, calib_method={self._calib_method!r}, "
            f"unsigned={self._unsigned!r}, narrow_range={self._narrow_range!r})"
        )


QuantDescriptor = ScaledQuantDescriptor

# SPEC 1, predefined descriptors, as the article lists them (ConvTranspose
# with axis=(0); upstream 2.2.1 uses axis=(1), a known variation).
QUANT_DESC_8BIT_PER_TENSOR = QuantDescriptor(num_bits=8)
QUANT_DESC_UNSIGNED_8BIT_PER_TENSOR = QuantDescriptor(num_bits=8, unsigned=True)
QUANT_DESC_8BIT_CONV1D_WEIGHT_PER_CHANNEL = QuantDescriptor(num_bits=8, axis=(0))
QUANT_DESC_8BIT_CONV2D_WEIGHT_PER_CHANNEL = QuantDescriptor(num_bits=8, axis=(0))
QUANT_DESC_8BIT_CONV3D_WEIGHT_PER_CHANNEL = QuantDescriptor(num_bits=8, axis=(0))
QUANT_DESC_8BIT_LINEAR_WEIGHT_PER_ROW = QuantDescriptor(num_bits=8, axis=(0))
QUANT_DESC_8BIT_CONVTRANSPOSE1D_WEIGHT_PER_CHANNEL = QuantDescriptor(num_bits=8, axis=(0))
QUANT_DESC_8BIT_CONVTRANSPOSE2D_WEIGHT_PER_CHANNEL = QuantDescriptor(num_bits=8, axis=(0))
QUANT_DESC_8BIT_CONVTRANSPOSE3D_WEIGHT_PER_CHANNEL = QuantDescriptor(num_bits=8, axis=(0))

#: name -> descriptor, for the suite's descriptor checks.
PREDEFINED = {
    name: value for name, value in globals().items() if name.startswith("QUANT_DESC_")
}
