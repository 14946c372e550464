"""A CORRECT implementation registered as a PyTorch custom operator (torch.library).

No autograd.Function: the forward is a ``torch.library.custom_op`` and the
clipped straight-through backward is attached with ``register_autograd``;
the clamp is done on a float64 copy of the codes with Python-float bounds,
and the sign of a zero code is carried over with an explicit mask.
It must pass every property.
"""

import torch

from reference.descriptor import ScaledQuantDescriptor as QuantDescriptor

__all__ = ["QuantDescriptor", "fake_tensor_quant", "tensor_quant"]

CAUGHT_BY = frozenset()


def _quantize(inputs, amax, num_bits, unsigned, narrow_range):
    if unsigned and bool(inputs.min() < 0):
        raise TypeError("Negative values encountered in unsigned quantization.")
    x = inputs.float() if inputs.dtype == torch.float16 else inputs
    a = amax.float() if amax.dtype == torch.float16 else amax
    if bool(a.min() < 0):
        raise ValueError("Negative values in amax")
    top = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0, device=a.device)
    bottom = 0.0 if unsigned else float(-top if narrow_range else -top - 1)
    # Masked only if a.min() <= 2**-24; a NaN anywhere makes that min NaN and the test false.
    zero = torch.logical_and(a <= 2.0**-24, a.min() <= 2.0**-24)
    multiplier = torch.where(zero, 0.0, top / a)
    rounded = torch.round(x * multiplier)
    # Clamp a float64 copy (it holds every bound and value exactly) and round once back to
    # the working dtype; a zero that clamping leaves alone keeps its sign (-0 stays -0).
    wide = rounded.double()
    clamped = wide.clamp(min=bottom).clamp(max=float(top)).to(rounded.dtype)
    codes = torch.where((rounded == 0) & (clamped == 0), rounded, clamped)
    if inputs.dtype == torch.float16:
        codes = codes.half()
    return codes, torch.where(zero, 1.0, multiplier)


@torch.library.custom_op("tensor_quant_zoo::tensor_quant", mutates_args=())
def _tensor_quant_op(inputs: torch.Tensor, amax: torch.Tensor, num_bits: int, unsigned: bool,
                     narrow_range: bool) -> tuple[torch.Tensor, torch.Tensor]:
    codes, multiplier = _quantize(inputs, amax, num_bits, unsigned, narrow_range)
    if codes.dtype == torch.float16 and bool(multiplier.max() > 65504):
        raise ValueError(f"scale is too large for FP16 with amax={amax}")
    return codes, multiplier.to(inputs.dtype)


@torch.library.custom_op("tensor_quant_zoo::fake_tensor_quant", mutates_args=())
def _fake_tensor_quant_op(inputs: torch.Tensor, amax: torch.Tensor, num_bits: int,
                          unsigned: bool, narrow_range: bool) -> torch.Tensor:
    codes, multiplier = _quantize(inputs, amax, num_bits, unsigned, narrow_range)
    return codes / multiplier.to(inputs.dtype)


def _save(ctx, inputs, output):
    ctx.save_for_backward(inputs[0], inputs[1])


def _clipped(ctx, grad, *unused):
    x, amax = ctx.saved_tensors
    # A (1,) zero, as the article's new_zeros(1): a 0-d input's gradient is then summed
    # back to (), and that sum makes a passed -0 gradient +0.
    passed = torch.where(x.abs() <= amax, grad, torch.zeros(1, dtype=grad.dtype))
    return passed.sum_to_size(x.shape), None, None, None, None


_tensor_quant_op.register_autograd(_clipped, setup_context=_save)
_fake_tensor_quant_op.register_autograd(_clipped, setup_context=_save)


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``(codes, scale)``; see SPEC sections 2 and 3."""
    return _tensor_quant_op(inputs, amax, int(num_bits), bool(unsigned), bool(narrow_range))


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``codes / scale`` in the inputs' dtype; see SPEC sections 2 and 3."""
    return _fake_tensor_quant_op(inputs, amax, int(num_bits), bool(unsigned), bool(narrow_range))
