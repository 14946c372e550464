"""Expected results of a call, computed by the reference (ONNX ``expect()`` style).

A case definition names only its inputs and arguments; ``expected`` runs the
NumPy reference on them and records what it returns or the exception type it
raises. ``python -m vectors`` stores these results; a failure exported by the
engine is recomputed the same way on replay.
"""

from __future__ import annotations

import logging

import numpy as np

import reference
from reference import ARTICLE, Semantics

from .io import Expected

__all__ = ["DESCRIPTOR_ATTRIBUTES", "MESSAGES", "descriptor_attributes", "expected"]

#: The read-only properties of a descriptor, in the article's order.
DESCRIPTOR_ATTRIBUTES = ("num_bits", "name", "fake_quant", "axis", "learn_amax", "amax",
                         "scale_amax", "calib_method", "unsigned", "narrow_range")

#: Message fragments the article's code raises; stored as ``match`` when seen.
MESSAGES = (
    "Negative values encountered in unsigned quantization",
    "Negative values in amax",
    "scale is too large for FP16",
    "Unused keys",
)


def descriptor_attributes(descriptor) -> dict:
    """Every read-only property of ``descriptor`` by name."""
    return {name: getattr(descriptor, name) for name in DESCRIPTOR_ATTRIBUTES}


def _raised(exc: Exception) -> Expected:
    match = next((m for m in MESSAGES if m in str(exc)), None)
    return Expected(raises=type(exc).__name__, match=match)


class _ErrorSeen(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.seen = False

    def emit(self, record):
        self.seen = True


def _descriptor(make) -> Expected:
    handler = _ErrorSeen()
    logger = logging.getLogger(reference.ScaledQuantDescriptor.__module__)
    logger.addHandler(handler)
    try:
        descriptor = make()
    except Exception as exc:  # the exception type is the expected result
        return _raised(exc)
    finally:
        logger.removeHandler(handler)
    return Expected(attributes=descriptor_attributes(descriptor), logs_error=handler.seen)


def expected(function: str, inputs, arguments, semantics: Semantics = ARTICLE) -> Expected:
    """What the reference returns (or raises) for ``function(**inputs, **arguments)``."""
    if function == "descriptor":
        return _descriptor(lambda: reference.QuantDescriptor(**arguments))
    if function == "predefined_descriptor":
        return _descriptor(lambda: reference.PREDEFINED[arguments["name"]])
    quant_args = {k: arguments[k] for k in ("num_bits", "unsigned", "narrow_range")
                  if k in arguments}
    try:
        with np.errstate(all="ignore"):
            if function == "tensor_quant":
                outputs, scale = reference.tensor_quant(
                    inputs["inputs"], inputs["amax"], **quant_args, semantics=semantics)
                return Expected(outputs=outputs, scale=scale)
            if function == "fake_tensor_quant":
                outputs = reference.fake_tensor_quant(
                    inputs["inputs"], inputs["amax"], **quant_args, semantics=semantics)
                return Expected(outputs=outputs)
            if function == "ste_gradient":
                grad = reference.ste_gradient(
                    inputs["inputs"], inputs["amax"], inputs["grad_output"], **quant_args,
                    semantics=semantics)
                return Expected(grad=grad)
    except (TypeError, ValueError, RuntimeError) as exc:
        return _raised(exc)
    raise ValueError(f"unknown function {function!r}")
