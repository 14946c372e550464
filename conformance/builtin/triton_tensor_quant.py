"""The article's ``tensor_quant`` API as a Triton kernel (target ``triton``).

A template for kernels written in Triton, and a second implementation of
the CUDA kernel's plan (``cupy_tensor_quant``), checked by the same suite.

* The host (the functions below the kernels) checks arguments in the
  article's order with torch reductions, works out every intermediate dtype
  with ``torch.result_type`` (``cupy_tensor_quant.launch_plan``: 0-d vs n-d
  amax, float16 upcast, bfloat16 promotion, as PyTorch has them) and passes
  the dtypes to the kernel as ``tl.constexpr`` codes, so each combination
  compiles to straight-line code.
* The kernels do the elementwise arithmetic. Every value is carried as a
  float64 and each PyTorch op is "operands rounded to the op's dtype, one
  exact float64 op, one rounding to the op's dtype" (``_binary``): a float64
  holds every float16/bfloat16/float32 value and every product of two
  float32 values exactly, and a float64 quotient rounded to float32 is the
  correctly rounded float32 quotient, so this is PyTorch's float32 and
  16-bit "opmath" arithmetic bit for bit. It also keeps the kernel off
  float32 division (Triton's ``/`` on float32 is approximate on NVIDIA GPUs)
  and off libdevice (whose float32 functions Triton builds flushing
  subnormals to zero).
* Rounding to bfloat16 is done on the float32 bits (round half to even)
  rather than with a cast, because Triton's interpreter rounds float32 ->
  bfloat16 casts half away from zero without carrying into the exponent;
  bfloat16 tensors travel as their int16 bits, as in the CuPy target.
* The backward is the clipped straight-through estimator in torch ops (the
  same function as the ``torch`` target).

Devices: with a CUDA device the kernels are compiled for it (``cuda``);
without one they run under Triton's interpreter (``TRITON_INTERPRET=1``,
NumPy on the CPU), which this module switches on before decorating the
kernels when no CUDA device is present (``cpu``). Set ``TRITON_INTERPRET=1``
yourself to use the interpreter on a machine that has a GPU.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from conformance.adapters import require, triton_before_tensorflow
from reference.descriptor import QuantDescriptor, ScaledQuantDescriptor

from ._kernel_api import kernel_api
from .cupy_tensor_quant import DTYPE_CODES, _broadcast_strides, prepare_with

_GPU = torch.cuda.is_available() and os.environ.get("TRITON_INTERPRET", "0") in ("", "0")
if not _GPU:
    os.environ["TRITON_INTERPRET"] = "1"  # read when the kernels below are decorated
triton_before_tensorflow("triton")  # LLVM twice in a process: see there
triton = require("triton", "triton", "triton")
tl = require("triton.language", "triton", "triton")

__all__ = [
    "CONFORMANCE_TARGET",
    "FakeTensorQuantFunction",
    "QuantDescriptor",
    "ScaledQuantDescriptor",
    "TensorQuantFunction",
    "fake_tensor_quant",
    "tensor_quant",
]

#: Metadata the suite reads (see conformance.targets).
CONFORMANCE_TARGET = {
    "name": "triton (Triton kernel" + (")" if _GPU else ", interpreter on CPU)"),
    "devices": ("cuda",) if _GPU else ("cpu",),
    "variations": (),
    "exposes": ("fake_tensor_quant", "tensor_quant", "descriptor", "descriptor_serialization"),
}

_F16, _BF16, _F32, _F64 = (DTYPE_CODES[d] for d in
                           (torch.float16, torch.bfloat16, torch.float32, torch.float64))
_EPSILON = 2.0**-24  # amax at or below this quantizes to zero
_BLOCK = 1024


@triton.jit
def _bf16_round(s):
    """float32 -> the nearest bfloat16 value (ties to even), still a float32; NaN kept."""
    bits = s.to(tl.uint32, bitcast=True)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return tl.where(s != s, s, rounded.to(tl.float32, bitcast=True))


@triton.jit
def _round_to(v, CODE: tl.constexpr):
    """float64 -> the nearest value of dtype CODE, as a float64 (16-bit dtypes via float32,
    as PyTorch casts a double)."""
    if CODE == 3:  # float64
        return v
    s = v.to(tl.float32)
    if CODE == 0:  # float16
        s = s.to(tl.float16).to(tl.float32)
    elif CODE == 1:  # bfloat16
        s = _bf16_round(s)
    return s.to(tl.float64)


@triton.jit
def _load(ptr, offsets, mask, CODE: tl.constexpr):
    """Elements of dtype CODE as exact float64 values (bfloat16 arrives as int16 bits)."""
    raw = tl.load(ptr + offsets, mask=mask, other=0)
    if CODE == 1:
        bits = (raw.to(tl.int32) & 0xFFFF).to(tl.uint32) << 16
        return bits.to(tl.float32, bitcast=True).to(tl.float64)
    return raw.to(tl.float64)


@triton.jit
def _store(ptr, offsets, v, mask, CODE: tl.constexpr):
    """Store ``v`` (already a value of dtype CODE) in dtype CODE."""
    if CODE == 1:
        bits = v.to(tl.float32).to(tl.uint32, bitcast=True) >> 16
        tl.store(ptr + offsets, bits.to(tl.uint16).to(tl.int16, bitcast=True), mask=mask)
    elif CODE == 3:
        tl.store(ptr + offsets, v, mask=mask)
    elif CODE == 2:
        tl.store(ptr + offsets, v.to(tl.float32), mask=mask)
    else:
        tl.store(ptr + offsets, v.to(tl.float32).to(tl.float16), mask=mask)


@triton.jit
def _binary(lhs, rhs, OUT: tl.constexpr, RHS_SCALAR: tl.constexpr, DIVIDE: tl.constexpr):
    """One PyTorch CPU ``mul``/``div`` with result dtype OUT. A one-element right operand of
    a 16-bit op is read at float32 (PyTorch's scalar fast path); 16-bit ops compute in
    float32 ("opmath") and round once more."""
    a = _round_to(lhs, OUT)
    if (OUT == 0 or OUT == 1) and RHS_SCALAR:
        b = _round_to(rhs, 2)
    else:
        b = _round_to(rhs, OUT)
    if DIVIDE:
        r = a / b
    else:
        r = a * b
    return _round_to(r, OUT)


@triton.jit
def _rint(v):
    """Round half to even on float64, keeping the sign of zero; NaN and inf unchanged."""
    f = tl.floor(v)
    frac = v - f  # exact
    odd = (f - 2.0 * tl.floor(f * 0.5)) == 1.0
    up = (frac > 0.5) | ((frac == 0.5) & odd)
    r = tl.where(up, f + 1.0, f)
    r = tl.where(frac == frac, r, v)  # inf - inf is NaN: keep inf (and NaN) as they are
    return tl.where(r == 0.0, v * 0.0, r)  # -0.3 rounds to -0, as torch.round does


@triton.jit
def _multiplier(amax, max_bound, zero_as, SCALE: tl.constexpr, AMAX_SCALAR: tl.constexpr,
                ZERO_GATE: tl.constexpr):
    """max_bound / amax, or ``zero_as`` where amax <= 2**-24 (a NaN amax gives NaN).

    SPEC 2.5/2.7: the masking runs only when amax.min() <= 2**-24, decided on the host
    (``ZERO_GATE``); an amax holding a NaN has a NaN min, so a zero channel keeps inf."""
    scale = _binary(max_bound, amax, SCALE, AMAX_SCALAR, True)
    if ZERO_GATE:
        scale = tl.where(amax <= 5.9604644775390625e-08, zero_as, scale)
    return scale


@triton.jit
def _tensor_quant_kernel(x_ptr, amax_ptr, out_ptr, meta_ptr, n, max_bound, min_bound,
                         NDIM: tl.constexpr, FAKE: tl.constexpr, INPUT: tl.constexpr,
                         AMAX: tl.constexpr, SCALE: tl.constexpr, PRODUCT: tl.constexpr,
                         CODES: tl.constexpr, OUT: tl.constexpr, AMAX_SCALAR: tl.constexpr,
                         ZERO_GATE: tl.constexpr, BLOCK: tl.constexpr):
    """Element i of the broadcast shape: codes, or (FAKE) codes / scale.to(inputs.dtype).
    meta = shape[NDIM], input strides[NDIM], amax strides[NDIM] (0 where broadcast)."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = i < n
    rest = i
    # tl.full, not tl.zeros: triton.language's own @jit helpers are compiled-mode objects
    # when Triton was imported before TRITON_INTERPRET was set, and then cannot be called
    # from an interpreted kernel. The kernels here use builtins only.
    x_offset = tl.full([BLOCK], 0, tl.int64)
    amax_offset = tl.full([BLOCK], 0, tl.int64)
    for k in tl.static_range(NDIM):
        d = NDIM - 1 - k
        size = tl.load(meta_ptr + d)
        coord = rest % size
        rest = rest // size
        x_offset += coord * tl.load(meta_ptr + NDIM + d)
        amax_offset += coord * tl.load(meta_ptr + 2 * NDIM + d)
    x = _load(x_ptr, x_offset, mask, INPUT)
    amax = _load(amax_ptr, amax_offset, mask, AMAX)
    hi = tl.full([BLOCK], max_bound, tl.float64)  # float32 values: exact in float64
    lo = tl.full([BLOCK], min_bound, tl.float64)
    # SPEC 2.5-2.6: a zero multiplier where amax is (nearly) zero: x * 0 is +-0 or NaN.
    scale = _multiplier(amax, hi, 0.0, SCALE, AMAX_SCALAR, ZERO_GATE)
    product = _binary(x, scale, PRODUCT, AMAX_SCALAR, False)
    v = _round_to(_rint(product), PRODUCT)
    # torch.clamp: NaN fails both tests and stays NaN; a value equal to a bound is kept.
    v = tl.where(v < lo, lo, v)
    v = tl.where(v > hi, hi, v)
    code = _round_to(_round_to(v, PRODUCT), CODES)  # SPEC 2.8: float16 codes for float16
    if FAKE:
        # SPEC 3: divide by the multiplier (1 where amax was zeroed) cast to inputs' dtype.
        divisor = _round_to(_multiplier(amax, hi, 1.0, SCALE, AMAX_SCALAR, ZERO_GATE), INPUT)
        code = _binary(code, divisor, OUT, AMAX_SCALAR, True)
    _store(out_ptr, i, code, mask, OUT)


@triton.jit
def _scale_kernel(amax_ptr, scale_ptr, scale_in_input_ptr, n, max_bound,
                  AMAX: tl.constexpr, SCALE: tl.constexpr, INPUT: tl.constexpr,
                  AMAX_SCALAR: tl.constexpr, ZERO_GATE: tl.constexpr, BLOCK: tl.constexpr):
    """SPEC 2.7: the returned multiplier (1 where amax <= 2**-24), in the scale dtype and in
    inputs' dtype; amax arrives contiguous."""
    j = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = j < n
    amax = _load(amax_ptr, j, mask, AMAX)
    s = _multiplier(amax, tl.full([BLOCK], max_bound, tl.float64), 1.0, SCALE, AMAX_SCALAR,
                    ZERO_GATE)
    _store(scale_ptr, j, s, mask, SCALE)
    _store(scale_in_input_ptr, j, _round_to(s, INPUT), mask, INPUT)


def _bits(tensor):
    """bfloat16 travels as its int16 bits (the kernels decode and encode them)."""
    return tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor


def _quiet():
    """The interpreter computes masked-off lanes too (0 / 0 and the like) with NumPy, which
    warns; the kernel's results do not depend on them."""
    return np.errstate(all="ignore")


def _grid(n):
    return (max(1, triton.cdiv(n, _BLOCK)),)


def _check_device(inputs):
    expected = "cuda" if _GPU else "cpu"
    if inputs.device.type != expected:
        raise ValueError(f"the triton target runs on {expected} tensors here, got inputs on "
                         f"{inputs.device}: move them with .to({expected!r}).")


_prepare = prepare_with(_check_device)


def _codes(plan):
    return {"INPUT": DTYPE_CODES[plan["input"]], "AMAX": DTYPE_CODES[plan["amax"]],
            "SCALE": DTYPE_CODES[plan["scale"]], "AMAX_SCALAR": bool(plan["amax_scalar"]),
            "ZERO_GATE": bool(plan["zero_gate"])}


def _quantize(inputs, amax, shape, plan, *, fake):
    out_dtype = plan["fake"] if fake else plan["codes"]
    out = torch.empty(shape, dtype=out_dtype, device=inputs.device)
    n = out.numel()
    if n == 0:
        return out
    meta = [*shape, *_broadcast_strides(inputs, shape), *_broadcast_strides(amax, shape)]
    meta = torch.tensor(meta or [0], dtype=torch.int64, device=inputs.device)
    with _quiet():
        _tensor_quant_kernel[_grid(n)](
            _bits(inputs.detach()), _bits(amax), _bits(out), meta, n,
            plan["max_bound"], plan["min_bound"], NDIM=len(shape), FAKE=fake,
            PRODUCT=DTYPE_CODES[plan["product"]], CODES=DTYPE_CODES[plan["codes"]],
            OUT=DTYPE_CODES[out_dtype], BLOCK=_BLOCK, **_codes(plan))
    return out


def _scales(inputs, amax, plan):
    amax = amax.contiguous()
    scale = torch.empty(amax.shape, dtype=plan["scale"], device=inputs.device)
    scale_in_input_dtype = torch.empty(amax.shape, dtype=inputs.dtype, device=inputs.device)
    if amax.numel():
        with _quiet():
            _scale_kernel[_grid(amax.numel())](
                _bits(amax), _bits(scale), _bits(scale_in_input_dtype), amax.numel(),
                plan["max_bound"], BLOCK=_BLOCK, **_codes(plan))
    return scale, scale_in_input_dtype


# The autograd functions, the FP16 scale check and the clipped STE: shared with the other
# kernel target (_kernel_api).
TensorQuantFunction, FakeTensorQuantFunction, tensor_quant, fake_tensor_quant = kernel_api(
    _prepare, _scales, _quantize)
