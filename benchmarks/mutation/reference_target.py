"""A conformance target whose kernel is the NumPy reference itself, for mutation testing.

    python -m conformance run --target benchmarks.mutation.reference_target --profile quick

The kernel is ``functions.tensor_quant`` / ``fake_tensor_quant`` / ``ste_gradient`` of
the package named by ``TQ_WRAPPED_REFERENCE`` (default ``reference``, the real one, so
this target conforms as it is). ``benchmarks/mutation/run.py reference`` copies
``reference/`` to ``mutant_reference/``, lets mutmut mutate the copy and judges every
mutant with ``TQ_WRAPPED_REFERENCE=mutant_reference``, while the oracle the suite
compares against keeps importing the pristine ``reference``.

Each function is a ``torch.autograd.Function``: the forward converts the tensors to
NumPy arrays bit for bit (``conformance.convert``), calls the wrapped reference and
converts back; the backward is the wrapped ``ste_gradient`` (amax gets no gradient).
``TQ_WRAPPED_VARIATIONS`` (names from ``reference.variations``, comma-separated)
declares variations: the wrapped functions (all but ``legacy_fake_tensor_quant``, the
article's path by definition) then compute under them and the suite
judges the target against the reference with them applied, so a mutated line that only
a variation reaches can be judged too.
"""

from __future__ import annotations

import importlib
import os

import numpy as np
import torch

from conformance.convert import to_numpy, to_torch

# The descriptor rules are not under mutation here: the pristine class serves.
from reference.descriptor import QuantDescriptor, ScaledQuantDescriptor  # noqa: F401

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant", "legacy_fake_tensor_quant",
           "tensor_quant"]

WRAPPED = os.environ.get("TQ_WRAPPED_REFERENCE", "reference")
VARIATIONS = tuple(filter(None, (n.strip() for n in
                                 os.environ.get("TQ_WRAPPED_VARIATIONS", "").split(","))))

_functions = importlib.import_module(f"{WRAPPED}.functions")
# The wrapped copy's own Semantics: its functions read the fields of that class.
_SEMANTICS = importlib.import_module(f"{WRAPPED}.variations").combine(VARIATIONS)
_ARTICLE = importlib.import_module(f"{WRAPPED}.semantics").ARTICLE

#: Metadata the suite reads (see conformance.targets).
CONFORMANCE_TARGET = {
    "name": f"NumPy reference ({WRAPPED})",
    "devices": ("cpu",),
    "variations": VARIATIONS,
    "exposes": ("fake_tensor_quant", "tensor_quant", "descriptor", "descriptor_serialization",
                "legacy_fake_tensor_quant"),
}


def _quiet():
    """No NumPy overflow warnings from the reference (an inf scale cast to float16 and
    such): the values are what the suite judges, and torch warns about none of them."""
    return np.errstate(all="ignore")


def _wrapped(name, ctx, inputs, *tensors):
    """The wrapped reference's ``name`` on the tensors' NumPy twins, back as tensors."""
    with _quiet():
        result = getattr(_functions, name)(*(to_numpy(t) for t in (inputs, *tensors)),
                                           *ctx.flags, semantics=ctx.semantics)
    if isinstance(result, tuple):
        return tuple(to_torch(r, inputs.device) for r in result)
    return to_torch(result, inputs.device)


def _forward(name, ctx, inputs, amax, num_bits, unsigned, narrow_range, semantics=_SEMANTICS):
    ctx.save_for_backward(inputs, amax)
    ctx.flags = (num_bits, unsigned, narrow_range)
    ctx.semantics = semantics
    return _wrapped(name, ctx, inputs, amax)


def _backward(ctx, grad_outputs):
    """The wrapped STE for the inputs; amax and the flags get none."""
    return _wrapped("ste_gradient", ctx, *ctx.saved_tensors, grad_outputs), None, None, None, None


class TensorQuantFunction(torch.autograd.Function):
    """``(codes, scale)`` from the wrapped ``tensor_quant``; the wrapped STE backward."""

    @staticmethod
    def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        return _forward("tensor_quant", ctx, inputs, amax, num_bits, unsigned, narrow_range)

    @staticmethod
    def backward(ctx, grad_outputs, grad_scale):
        return _backward(ctx, grad_outputs)


class FakeTensorQuantFunction(torch.autograd.Function):
    """The wrapped ``fake_tensor_quant``; the wrapped STE backward."""

    @staticmethod
    def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        return _forward("fake_tensor_quant", ctx, inputs, amax, num_bits, unsigned,
                        narrow_range)

    @staticmethod
    def backward(ctx, grad_outputs):
        return _backward(ctx, grad_outputs)


class LegacyFakeTensorQuantFunction(FakeTensorQuantFunction):
    """SPEC 6.3: upstream 2.2.1's name for the article's pure path, whatever variations the
    target declares (the suite judges it by the article alone)."""

    @staticmethod
    def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        return _forward("fake_tensor_quant", ctx, inputs, amax, num_bits, unsigned,
                        narrow_range, _ARTICLE)


tensor_quant = TensorQuantFunction.apply
fake_tensor_quant = FakeTensorQuantFunction.apply
legacy_fake_tensor_quant = LegacyFakeTensorQuantFunction.apply
