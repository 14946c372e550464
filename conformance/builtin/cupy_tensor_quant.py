"""The article's ``tensor_quant`` API as a CUDA kernel launched with CuPy (target ``cupy``).

SPEC section 6's ``fake_affine_tensor_quant`` and ``scaled_e4m3`` run in the
same kernel source, the same way (``legacy_fake_tensor_quant`` is this
target's ``fake_tensor_quant`` under upstream 2.2.1's name).

Torch CUDA tensors go in and come out; the kernel reads and writes their
memory through DLPack (``cupy.from_dlpack``, no copies; bfloat16 travels as
its int16 bit pattern because CuPy has no bfloat16 dtype), on PyTorch's
current stream. The CUDA source is ``tensor_quant_kernel.cu`` beside this
file; it explains why every value is carried as a double.

Division of labour, so that each rule is exact and has one home:

* the host (here) checks arguments in the article's order with torch
  reductions (never device asserts), decides the zero-amax gate
  (``amax.min() <= 2**-24``, one test on the whole amax), works out every
  intermediate dtype with
  ``torch.result_type`` (PyTorch's own promotion, so 0-d vs n-d amax,
  float16 upcast and bfloat16 promotion come out as PyTorch has them) and
  the bounds, as float32 values;
* the kernel does the elementwise arithmetic: the multiplier, round half to
  even, the clamp, the casts, and the division of ``fake_tensor_quant``;
* the backward is the clipped straight-through estimator in torch ops.

amax broadcasts against the inputs by PyTorch's rules, any shapes and any
strides (the host passes broadcast strides, 0 where a dimension is
broadcast). CuPy is imported on first use, so importing this module never
needs it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import pathlib

import numpy as np
import torch

from reference.descriptor import QuantDescriptor, ScaledQuantDescriptor

# The clipped straight-through backwards are plain torch ops, the same for every target.
from . import torch_tensor_quant as _torch_target
from ._kernel_api import kernel_api

__all__ = [
    "CONFORMANCE_TARGET",
    "KERNEL_OPTIONS",
    "KERNEL_PATH",
    "FakeAffineTensorQuantFunction",
    "FakeTensorQuantFunction",
    "LegacyFakeTensorQuantFunction",
    "QuantDescriptor",
    "ScaledE4M3Function",
    "ScaledQuantDescriptor",
    "TensorQuantFunction",
    "affine_plan",
    "e4m3_plan",
    "fake_affine_tensor_quant",
    "fake_tensor_quant",
    "kernel_source",
    "launch_plan",
    "legacy_fake_tensor_quant",
    "scaled_e4m3",
    "tensor_quant",
]

#: Metadata the suite reads (see conformance.targets).
CONFORMANCE_TARGET = {
    "name": "cupy (CUDA kernel)",
    "devices": ("cuda",),
    "exposes": _torch_target.CONFORMANCE_TARGET["exposes"],  # the whole API, as torch's
}

#: The CUDA source; the same text is compiled by NVRTC here and by nvcc in tests.
KERNEL_PATH = pathlib.Path(__file__).with_name("tensor_quant_kernel.cu")
#: No contracted multiply-adds: every product and quotient is rounded on its own.
#: (CuPy appends -ftz=true; the kernel has no float32 instruction for it to act on.)
KERNEL_OPTIONS = ("--fmad=false",)

#: dtype codes shared with the kernel (TQ_F16 ... TQ_F64).
DTYPE_CODES = {torch.float16: 0, torch.bfloat16: 1, torch.float32: 2, torch.float64: 3}
_EPSILON = 2.0**-24  # amax at or below this quantizes to zero, when the gate is on
_THREADS = 256


def kernel_source() -> str:
    """The exact text handed to the CUDA compiler."""
    return KERNEL_PATH.read_text(encoding="utf-8")


def _cupy():
    try:
        import cupy
    except ImportError as exc:
        raise ImportError(
            "the cupy target needs CuPy: pip install cupy-cuda12x (or cupy-cuda13x, "
            f"matching the CUDA driver); importing it failed: {exc}"
        ) from exc
    return cupy


@functools.cache
def _module():
    cupy = _cupy()
    return cupy.RawModule(code=kernel_source(), options=KERNEL_OPTIONS)


def _check_tensor(value, name):
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}.")
    if value.dtype not in DTYPE_CODES:
        raise TypeError(
            f"{name} must have a floating dtype (one of float16, bfloat16, float32, "
            f"float64), got {value.dtype}."
        )


def _like(dtype, ndim):
    """A stand-in tensor: torch.result_type only looks at dtype and whether ndim > 0."""
    return torch.empty((0,) * ndim, dtype=dtype)


def _bounds(num_bits, unsigned, narrow_range):
    """SPEC 2.4, as float32 values computed the way PyTorch's tensor ops do."""
    with np.errstate(over="ignore"):
        max_bound = np.float32(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0)
        if unsigned:
            min_bound = np.float32(0.0)
        elif narrow_range:
            min_bound = -max_bound
        else:
            min_bound = -max_bound - np.float32(1)
    return float(max_bound), float(min_bound)


def launch_plan(inputs, amax, num_bits, unsigned, narrow_range, *, min_amax=None) -> dict:
    """The dtype codes, bounds and zero-amax gate the kernel needs.

    Dtypes come from PyTorch's own promotion rules. ``min_amax`` is
    ``amax.min()`` when the caller has it already (one device sync, not two).
    """
    f16, f32 = torch.float16, torch.float32
    computed_inputs = f32 if inputs.dtype == f16 else inputs.dtype  # SPEC 2.2
    computed_amax = f32 if amax.dtype == f16 else amax.dtype
    out_ndim = len(torch.broadcast_shapes(inputs.shape, amax.shape))
    # scale = max_bound (0-d float32) / amax
    scale = torch.result_type(_like(f32, 0), _like(computed_amax, amax.ndim))
    product = torch.result_type(_like(computed_inputs, inputs.ndim), _like(scale, amax.ndim))
    codes = f16 if inputs.dtype == f16 else product  # SPEC 2.8
    # fake: codes / scale.to(inputs.dtype)
    fake = torch.result_type(_like(codes, out_ndim), _like(inputs.dtype, amax.ndim))
    max_bound, min_bound = _bounds(num_bits, unsigned, narrow_range)
    if min_amax is None:
        min_amax = amax.min()
    # SPEC 2.5/2.7: the zero-amax masking runs only if amax.min() <= 2**-24; min()
    # propagates NaN, so an amax holding a NaN turns it off (a zero channel keeps inf).
    zero_gate = bool(min_amax <= _EPSILON)
    return {
        "input": inputs.dtype,
        "amax": amax.dtype,
        "scale": scale,
        "product": product,
        "codes": codes,
        "fake": fake,
        "amax_scalar": amax.numel() == 1,
        "zero_gate": zero_gate,
        "max_bound": max_bound,
        "min_bound": min_bound,
    }


def _plan_args(plan, out_dtype):
    codes = DTYPE_CODES
    return (
        np.int32(codes[plan["input"]]),
        np.int32(codes[plan["amax"]]),
        np.int32(codes[plan["scale"]]),
        np.int32(codes[plan["product"]]),
        np.int32(codes[plan["codes"]]),
        np.int32(codes[out_dtype]),
        np.int32(plan["amax_scalar"]),
        np.int32(plan["zero_gate"]),
        np.float64(plan["max_bound"]),
        np.float64(plan["min_bound"]),
    )


def _broadcast_strides(tensor, shape):
    """Element strides of ``tensor`` read at ``shape``: 0 where it is broadcast."""
    strides = [0] * len(shape)
    offset = len(shape) - tensor.ndim
    for axis in range(tensor.ndim):
        if tensor.shape[axis] != 1:
            strides[offset + axis] = tensor.stride(axis)
    return strides


def _view(cupy, tensor):
    """A CuPy array over the tensor's memory (no copy); bfloat16 as its int16 bits."""
    tensor = tensor.detach()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    return cupy.from_dlpack(tensor)


def _meta(cupy, *rows):
    flat = [int(v) for row in rows for v in row] or [0]
    return cupy.asarray(np.asarray(flat, dtype=np.int64))


def _launch(name, n, args):
    """A grid-stride launch on CuPy's current device and stream."""
    blocks = max(1, min((n + _THREADS - 1) // _THREADS, 65535))
    _module().get_function(name)((blocks,), (_THREADS,), args)


def _check_device(inputs):
    if inputs.device.type != "cuda":
        raise ValueError(
            f"the cupy target runs on CUDA tensors, got inputs on {inputs.device}: "
            "move them with .cuda()."
        )


def _on_torch_stream(cupy, device):
    """Device and stream context: launch on PyTorch's current stream of ``device``.

    PyTorch's default stream is the legacy default stream, which is also
    CuPy's default: then no ExternalStream is needed (nor wanted: a null
    pointer would be ambiguous to DLPack consumers).
    """
    stack = contextlib.ExitStack()
    stack.enter_context(cupy.cuda.Device(device.index))
    pointer = torch.cuda.current_stream(device).cuda_stream
    if pointer:
        stack.enter_context(cupy.cuda.ExternalStream(pointer))
    return stack


def prepare_with(check_device):
    """``prepare`` for :func:`kernel_api`: the host-side checks in the article's order, then
    the launch plan. Shared by every kernel over :func:`launch_plan` (CuPy, Triton); only
    where the inputs must live differs (``check_device(inputs)`` raises otherwise)."""

    def prepare(inputs, amax, num_bits, unsigned, narrow_range):
        _check_tensor(inputs, "inputs")
        _check_tensor(amax, "amax")
        check_device(inputs)
        # A CPU amax (one small copy) is accepted, as PyTorch does; forward runs without
        # autograd, so detaching changes nothing but says the kernel reads bits only.
        amax = amax.detach().to(inputs.device)
        # SPEC 2.1 / 2.3 on the host, with torch reductions: min() propagates NaN (so a
        # tensor holding a NaN never raises here) and raises RuntimeError when empty.
        if unsigned and inputs.min() < 0:
            raise TypeError("Negative values encountered in unsigned quantization.")
        min_amax = amax.min()
        if min_amax < 0:
            raise ValueError("Negative values in amax")
        try:
            shape = torch.broadcast_shapes(inputs.shape, amax.shape)
        except RuntimeError:
            # After the checks above, and a RuntimeError, as ``inputs * scale`` raises it.
            raise RuntimeError(
                f"amax of shape {tuple(amax.shape)} does not broadcast against inputs of "
                f"shape {tuple(inputs.shape)} (PyTorch rules: trailing dimensions align)."
            ) from None
        plan = launch_plan(inputs, amax, num_bits, unsigned, narrow_range, min_amax=min_amax)
        return amax, tuple(shape), plan

    return prepare


# Looked up at each call (not bound now), so a test can run the host loop on CPU tensors.
_prepare = prepare_with(lambda inputs: _check_device(inputs))


def _quantize(inputs, amax, shape, plan, *, fake):
    """Launch the element kernel; returns a new tensor of the broadcast shape."""
    cupy = _cupy()
    out_dtype = plan["fake"] if fake else plan["codes"]
    out = torch.empty(shape, dtype=out_dtype, device=inputs.device)
    n = out.numel()
    if n == 0:
        return out
    with _on_torch_stream(cupy, inputs.device):
        meta = _meta(cupy, shape, _broadcast_strides(inputs, shape),
                     _broadcast_strides(amax, shape))
        _launch("tensor_quant_kernel", n, (
            _view(cupy, inputs), _view(cupy, amax), _view(cupy, out), meta,
            np.int32(len(shape)), np.int64(n), np.int32(fake), *_plan_args(plan, out_dtype),
        ))
    return out


def _scales(inputs, amax, plan):
    """The multiplier (1 where amax <= 2**-24, gate on) in its own dtype and in inputs' dtype."""
    cupy = _cupy()
    scale = torch.empty(amax.shape, dtype=plan["scale"], device=inputs.device)
    scale_in_input_dtype = torch.empty(amax.shape, dtype=inputs.dtype, device=inputs.device)
    with _on_torch_stream(cupy, inputs.device):
        meta = _meta(cupy, amax.shape, [amax.stride(d) for d in range(amax.ndim)])
        _launch("tensor_quant_scale_kernel", amax.numel(), (
            _view(cupy, amax), _view(cupy, scale), _view(cupy, scale_in_input_dtype), meta,
            np.int32(amax.ndim), np.int64(amax.numel()), *_plan_args(plan, plan["codes"]),
        ))
    return scale, scale_in_input_dtype


# The autograd functions, the FP16 scale check and the clipped STE: shared with the other
# kernel target (_kernel_api).
TensorQuantFunction, FakeTensorQuantFunction, tensor_quant, fake_tensor_quant = kernel_api(
    _prepare, _scales, _quantize)


class LegacyFakeTensorQuantFunction(FakeTensorQuantFunction):
    """SPEC 6.3: upstream 2.2.1's name for the article's pure path."""


def legacy_fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """The article's fake_tensor_quant under upstream 2.2.1's name (SPEC 6.3)."""
    return LegacyFakeTensorQuantFunction.apply(inputs, amax, num_bits, unsigned, narrow_range)


# --- SPEC section 6 ------------------------------------------------------------------------


def _fitted_bound(value, dtype):
    """A clamp bound in ``dtype``, or the RuntimeError torch.clamp raises when it does not fit."""
    if abs(value) > torch.finfo(dtype).max and value not in (float("inf"), float("-inf")):
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow "
                           f"(clamp bound {value!r})")
    return float(torch.tensor(value, dtype=dtype))


def affine_plan(inputs, min_range, max_range, num_bits) -> dict:
    """SPEC 6.1's dtypes (PyTorch's own promotion) and bounds, in the article's order of errors.

    ``max - min`` must broadcast (RuntimeError), then ``2.0**num_bits`` must
    be a float (OverflowError), then the inputs must broadcast against the
    step, then the clamp bounds must fit the codes' dtype (RuntimeError).
    """
    step_shape = torch.broadcast_shapes(max_range.shape, min_range.shape)
    levels = 2.0**num_bits - 1
    min_bound, max_bound = -(2.0 ** (num_bits - 1)), 2.0 ** (num_bits - 1) - 1
    out_shape = torch.broadcast_shapes(inputs.shape, step_shape)
    step_ndim, out_ndim = len(step_shape), len(out_shape)
    span = torch.result_type(_like(max_range.dtype, max_range.ndim),
                             _like(min_range.dtype, min_range.ndim))
    zero = torch.result_type(_like(min_range.dtype, min_range.ndim), _like(span, step_ndim))
    ratio = torch.result_type(_like(inputs.dtype, inputs.ndim), _like(span, step_ndim))
    shifted = torch.result_type(_like(ratio, out_ndim), _like(zero, step_ndim))
    summed = torch.result_type(_like(shifted, out_ndim), _like(zero, step_ndim))
    out = torch.result_type(_like(summed, out_ndim), _like(span, step_ndim))
    return {"input": inputs.dtype, "min": min_range.dtype, "max": max_range.dtype, "span": span,
            "zero": zero, "ratio": ratio, "shifted": shifted, "sum": summed, "out": out,
            "step_scalar": math.prod(step_shape) == 1, "levels": levels,
            "min_bound": min_bound, "clamp_low": _fitted_bound(min_bound, shifted),
            "clamp_high": _fitted_bound(max_bound, shifted), "shape": tuple(out_shape)}


def _affine(inputs, min_range, max_range, num_bits):
    for value, name in ((inputs, "inputs"), (min_range, "min_range"), (max_range, "max_range")):
        _check_tensor(value, name)
    plan = affine_plan(inputs, min_range, max_range, num_bits)
    _check_device(inputs)
    min_range, max_range = min_range.to(inputs.device), max_range.to(inputs.device)
    out = torch.empty(plan["shape"], dtype=plan["out"], device=inputs.device)
    if out.numel() == 0:
        return out
    cupy = _cupy()
    codes = [np.int32(DTYPE_CODES[plan[k]]) for k in
             ("input", "min", "max", "span", "zero", "ratio", "shifted", "sum", "out")]
    shape = plan["shape"]
    with _on_torch_stream(cupy, inputs.device):
        meta = _meta(cupy, shape, _broadcast_strides(inputs, shape),
                     _broadcast_strides(min_range, shape), _broadcast_strides(max_range, shape))
        _launch("tensor_quant_affine_kernel", out.numel(), (
            _view(cupy, inputs), _view(cupy, min_range), _view(cupy, max_range),
            _view(cupy, out), meta, np.int32(len(shape)), np.int64(out.numel()), *codes,
            np.int32(plan["step_scalar"]), *(np.float64(plan[k]) for k in
                                            ("levels", "min_bound", "clamp_low", "clamp_high"))))
    return out


#: SPEC 6.1 in the kernel; the autograd function and backward are the torch target's.
FakeAffineTensorQuantFunction = _torch_target.affine_function(_affine)


def e4m3_plan(inputs, amax) -> dict:
    """SPEC 6.3's dtypes: ``x * (448 / amax)`` and ``/ (448 / amax)`` under PyTorch promotion."""
    if amax is None:
        return {"input": inputs.dtype, "amax": inputs.dtype, "product": inputs.dtype,
                "out": inputs.dtype, "amax_scalar": False, "shape": tuple(inputs.shape)}
    shape = torch.broadcast_shapes(inputs.shape, amax.shape)
    product = torch.result_type(_like(inputs.dtype, inputs.ndim), _like(amax.dtype, amax.ndim))
    out = torch.result_type(_like(product, len(shape)), _like(amax.dtype, amax.ndim))
    return {"input": inputs.dtype, "amax": amax.dtype, "product": product, "out": out,
            "amax_scalar": amax.numel() == 1, "shape": tuple(shape)}


def _scaled_e4m3(inputs, amax):
    _check_tensor(inputs, "inputs")
    if amax is not None:
        _check_tensor(amax, "amax")
    plan = e4m3_plan(inputs, amax)
    _check_device(inputs)
    source = inputs if amax is None else amax.to(inputs.device)
    out = torch.empty(plan["shape"], dtype=plan["out"], device=inputs.device)
    if out.numel():
        cupy = _cupy()
        shape = plan["shape"]
        with _on_torch_stream(cupy, inputs.device):
            meta = _meta(cupy, shape, _broadcast_strides(inputs, shape),
                         _broadcast_strides(source, shape))
            _launch("tensor_quant_e4m3_kernel", out.numel(), (
                _view(cupy, inputs), _view(cupy, source), _view(cupy, out), meta,
                np.int32(len(shape)), np.int64(out.numel()),
                np.int32(DTYPE_CODES[plan["input"]]), np.int32(DTYPE_CODES[plan["amax"]]),
                np.int32(amax is not None), np.int32(DTYPE_CODES[plan["product"]]),
                np.int32(DTYPE_CODES[plan["out"]]), np.int32(plan["amax_scalar"])))
    # SPEC 6.3: the zero mask by indexing, as upstream (IndexError when amax widens the
    # inputs other than by trailing dimensions; whole rows zeroed when it does).
    out[inputs.abs() < 2.0**-24] = 0.0
    return out


#: SPEC 6.3 in the kernel; the checks, autograd function and backward are the torch target's.
ScaledE4M3Function = _torch_target.e4m3_function(_scaled_e4m3)


def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8):
    """SPEC 6.1: asymmetric fake quantization between the two ranges."""
    return FakeAffineTensorQuantFunction.apply(inputs, min_range, max_range, num_bits)


def scaled_e4m3(inputs, amax=None, E=4, M=3):
    """SPEC 6.3: FP8 E4M3 fake quantization, scaled by 448 / amax when amax is given."""
    return ScaledE4M3Function.apply(inputs, amax, E, M)
