"""SPEC.md section 1: ``ScaledQuantDescriptor`` (alias ``QuantDescriptor``).

The constructor checks its arguments in the article's order; the first rule
that fails raises. Each rule is marked ``# SPEC 1.N``. Section 6.2's methods
(``==``, ``dict()``, ``to_yaml()``, ``from_yaml()``, ``str()``) follow
upstream pytorch-quantization, quirks included, marked ``# SPEC 6.2``.
"""

from __future__ import annotations

import logging

import numpy as np
import yaml  # SPEC 6.2: upstream serializes descriptors with PyYAML

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

    # --- SPEC 6.2: comparison, serialization and text, with upstream's quirks ------------

    def __eq__(self, rhs):
        """SPEC 6.2: ``self.__dict__ == rhs.__dict__``, every stored attribute in order.

        Python compares the two dicts value by value, each pair with ``==``
        taken as a truth value (an identical object short-cuts to True): two
        descriptors whose amax arrays hold several elements raise ValueError
        ("truth value of an array ... is ambiguous") once the comparison gets
        that far, a one-element amax compares fine, and a right-hand side
        without ``__dict__`` raises AttributeError. Defining ``__eq__`` alone
        also makes descriptors unhashable, as upstream's are.
        """
        return self.__dict__ == rhs.__dict__  # SPEC 6.2

    def dict(self):
        """SPEC 6.2: the constructor arguments that differ from a default, mostly.

        Always ``num_bits`` and ``name``; ``fake_quant`` only when false,
        ``axis`` / ``amax`` (``tolist()``) / ``scale_amax`` when not None,
        ``learn_amax`` and ``unsigned`` when true. ``narrow_range`` and
        ``calib_method`` are never written, so a round trip loses them.
        """
        out = {"num_bits": self._num_bits, "name": self._name}  # SPEC 6.2, in upstream's order
        if not self._fake_quant:
            out["fake_quant"] = self._fake_quant
        if self._axis is not None:
            out["axis"] = self._axis
        if self._amax is not None:
            out["amax"] = self._amax.tolist()
        if self._scale_amax is not None:
            out["scale_amax"] = self._scale_amax
        if self._learn_amax:
            out["learn_amax"] = self._learn_amax
        if self._unsigned:
            out["unsigned"] = self._unsigned
        return out

    def to_yaml(self):
        """SPEC 6.2: ``yaml.dump(dict(), width=120)`` (keys sorted), axis written as a list.

        ``list(axis)`` needs an iterable: an int axis (``axis=(0)`` is the int
        0, as in the predefined per-channel descriptors) raises TypeError.
        """
        out = self.dict()
        if "axis" in out:  # SPEC 6.2
            out["axis"] = list(out["axis"])
        return yaml.dump(out, width=120)

    @classmethod
    def from_yaml(cls, yaml_str):
        """SPEC 6.2: ``yaml.safe_load``, axis back to a tuple, then ``cls(**loaded)``."""
        loaded = yaml.safe_load(yaml_str)  # SPEC 6.2
        if "axis" in loaded:  # TypeError for a document that is not a mapping (or is empty)
            loaded["axis"] = tuple(loaded["axis"])
        return cls(**loaded)

    def __str__(self):
        """SPEC 6.2, e.g. ``w: (unsigned 4bit fake axis=(0,) amax=[1. 2.] full_range)``.

        The text is assembled as a format template and formatted with the
        stored attributes at the end, as upstream does: braces in a name are
        format fields, and ``full_range`` is printed whenever amax is set.
        """
        # SPEC 6.2
        text = "QuantDescriptor" if self._name is None else self._name + ": "
        text += "(" + ("unsigned " if self._unsigned else "") + f"{self._num_bits}bit"
        text += " fake" if self._fake_quant else " real"
        text += f" axis={self._axis if self._axis is not None else ' per-tensor'}"
        if self._amax is not None:
            text += " amax={_amax} full_range"
        if self._learn_amax:
            text += " learn_amax"
        if self._scale_amax:
            text += " scale_amax={_scale_amax}"
        return (text + ")").format(**self.__dict__)

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
