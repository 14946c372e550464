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

from .io import GRADIENT_OF, SECTION6_FUNCTIONS, Expected

__all__ = ["DESCRIPTOR_ATTRIBUTES", "MESSAGES", "descriptor_attributes",
           "descriptor_method_outcomes", "expected", "instance_outcomes"]

#: The read-only properties of a descriptor, in the article's order.
DESCRIPTOR_ATTRIBUTES = ("num_bits", "name", "fake_quant", "axis", "learn_amax", "amax",
                         "scale_amax", "calib_method", "unsigned", "narrow_range")

#: Message fragments the article's code raises; stored as ``match`` when seen.
MESSAGES = (
    "Negative values encountered in unsigned quantization",
    "Negative values in amax",
    "scale is too large for FP16",
    "Unused keys",
    "without overflow",
    "Only support E=4 & M=3",
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


def _outcome(call) -> dict:
    try:
        return {"returns": call()}
    except Exception as exc:  # the exception type is the outcome
        return {"raises": type(exc).__name__}


def _hashable(descriptor) -> bool:
    hash(descriptor)
    return True


def instance_outcomes(descriptor) -> dict:
    """What each SPEC 6.2 method of ``descriptor`` returns or raises, by method.

    One function for both sides: the reference's descriptors give the
    expected outcomes, a target's the actual ones. ``from_yaml`` is the
    round trip ``type(d).from_yaml(d.to_yaml())`` and ``equals_round_trip``
    compares ``d`` with it; ``hash`` says whether ``hash(d)`` works
    (upstream's descriptors define ``__eq__`` only, so it raises TypeError).
    """
    cls = type(descriptor)
    out = {"dict": _outcome(descriptor.dict), "to_yaml": _outcome(descriptor.to_yaml)}
    if "returns" in out["to_yaml"]:
        try:
            back = cls.from_yaml(out["to_yaml"]["returns"])
        except Exception as exc:
            out["from_yaml"] = {"raises": type(exc).__name__}
        else:
            out["from_yaml"] = ({"attributes": descriptor_attributes(back)}
                                if isinstance(back, cls) else {"returns": type(back).__name__})
            out["equals_round_trip"] = _outcome(lambda: descriptor == back)
    out["str"] = _outcome(lambda: str(descriptor))
    out["hash"] = _outcome(lambda: _hashable(descriptor))
    return out


def descriptor_method_outcomes(cls, kwargs, other=None) -> dict:
    """``instance_outcomes(cls(**kwargs))``, and ``equals_twin`` / ``equals_other``:
    ``d == cls(**kwargs)`` built again, and ``d == cls(**other)``."""
    descriptor = cls(**kwargs)
    out = instance_outcomes(descriptor)
    out["equals_twin"] = _outcome(lambda: descriptor == cls(**kwargs))
    if other is not None:
        out["equals_other"] = _outcome(lambda: descriptor == cls(**other))
    return out


def _section6(function: str, inputs, arguments) -> Expected:
    """SPEC section 6's functions (``vectors.io.SECTION6_FUNCTIONS``)."""
    if function == "descriptor_from_yaml":
        return _descriptor(lambda: reference.QuantDescriptor.from_yaml(arguments["yaml"]))
    if function == "descriptor_methods":
        try:
            outcomes = descriptor_method_outcomes(reference.QuantDescriptor,
                                                  arguments["kwargs"], arguments.get("other"))
        except Exception as exc:  # the constructor refused the arguments
            return _raised(exc)
        return Expected(methods=outcomes)
    forward = GRADIENT_OF.get(function)
    if forward is not None:  # a backward exists only after a forward that returned
        ran = _section6(forward, inputs, arguments)
        if ran.raises is not None:
            return ran
    x = inputs["inputs"]
    try:
        with np.errstate(all="ignore"):
            if function in ("legacy_fake_tensor_quant", "legacy_gradient"):
                quant_args = {k: arguments[k] for k in ("num_bits", "unsigned", "narrow_range")
                              if k in arguments}
                if function == "legacy_gradient":
                    return Expected(grad=reference.ste_gradient(
                        x, inputs["amax"], inputs["grad_output"], **quant_args))
                return Expected(outputs=reference.legacy_fake_tensor_quant(
                    x, inputs["amax"], **quant_args))
            if function == "fake_affine_tensor_quant":
                return Expected(outputs=reference.fake_affine_tensor_quant(
                    x, inputs["min_range"], inputs["max_range"], arguments.get("num_bits", 8)))
            if function == "affine_gradient":
                return Expected(grad=reference.affine_ste_gradient(
                    x, inputs["min_range"], inputs["max_range"], inputs["grad_output"]))
            if function == "scaled_e4m3":
                return Expected(outputs=reference.scaled_e4m3(
                    x, inputs.get("amax"), arguments.get("E", 4), arguments.get("M", 3)))
            if function == "e4m3_gradient":
                return Expected(grad=reference.e4m3_ste_gradient(
                    x, inputs.get("amax"), inputs["grad_output"]))
    except (TypeError, ValueError, RuntimeError, ArithmeticError, IndexError,
            NotImplementedError) as exc:
        return _raised(exc)
    raise ValueError(f"unknown function {function!r}")


def expected(function: str, inputs, arguments, semantics: Semantics = ARTICLE) -> Expected:
    """What the reference returns (or raises) for ``function(**inputs, **arguments)``.

    SPEC section 6's functions have no variations: ``semantics`` does not apply to them.
    """
    if function in SECTION6_FUNCTIONS:
        return _section6(function, inputs, arguments)
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
