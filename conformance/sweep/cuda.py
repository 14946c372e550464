"""One sweep chunk on the GPU: CuPy reference, cuda target, comparison on the device.

``--device cuda`` runs in one process (no workers): each chunk's bit
patterns are made on the GPU (``arange`` on the unsigned type, viewed as
the float dtype), the reference runs on those CuPy arrays, the target gets
the same memory as a torch CUDA tensor through DLPack, and the bits are
compared on the device. Only a chunk that differs copies its first few
mismatches to the host, where they are reported exactly as the CPU path
reports them (``SweepMismatch``).

The checker is written against an array namespace ``xp`` and a torch
device, so the same code runs with NumPy and torch on the CPU (that is how
the tests without a GPU exercise it).

CuPy flushes float32 subnormals (its kernels are compiled with
``-ftz=true``: subnormal operands and results become zeros of the same
sign), so the CuPy reference can differ from the NumPy one where float32
subnormals occur. We handle both places explicitly:

* subnormal *inputs* (2 x (2**23 - 1) float32 patterns): their expected
  results come from the NumPy reference on the host, scattered into the
  GPU's expected array;
* subnormal *intermediates*: products ``x * scale`` (or ``x / step``) that
  land in the subnormal range round to a signed zero whether flushed or
  not (|v| < 2**-126 < 0.5), so they need nothing; the 0-d values derived
  from amax (amax itself, ``max_bound / amax``, ``amax / max_bound``) could
  be subnormal, and so could outputs ``codes / scale`` when ``amax /
  max_bound`` is near the subnormal range. ``ftz_safe`` rejects every
  configuration where one of those three lies below 2**-125 (a factor 2 of
  margin for the rounding of ``codes / scale``) without being zero; such a
  configuration is checked with the NumPy reference on the host for every
  chunk (correct, slower, and said in the report's progress label).

float16 inputs are computed in float32, where every float16 (subnormals
included) is a normal number, so only the amax test applies to them.

The other sweepable functions (``conformance.sweep.functions``) go through
the same code: each configuration names the 0-d values FTZ could change
(``ftz_values``: for ``fake_affine_tensor_quant`` the ranges and the step,
whose integer multiples the outputs are; for ``scaled_e4m3`` amax, its
reciprocal, the scale and the smallest scaled-back output), and the
reference call is the function's. E4M3 rounding of a float32 subnormal
gives a signed zero whether flushed or not (the smallest E4M3 value is
2**-9), as the quotients ``x / step`` do.
"""

from __future__ import annotations

import numpy as np

from reference import UINT, dtype_name

from ..compare import FLOAT_MASKS, differing, hex_bits
from .functions import sweep_function
from .judge import (
    ChunkOutcome,
    SweepMismatch,
    call_safely,
    exception_text,
    judge_call,
    no_announce,
)
from .plan import PATTERN_DTYPES, SweepPlan

__all__ = ["CudaChunkChecker", "check_cuda_sweep", "ftz_safe", "strictly_negative_bits", "subnormal_bits"]

_SIGN = {2: 0x8000, 4: 0x80000000}
_SAFE_TINY = 2.0**-125


def subnormal_bits(xp, bits, itemsize: int):
    """Subnormal (nonzero, zero exponent) decided on the bits."""
    exponent, mantissa = (UINT[itemsize].type(m) for m in FLOAT_MASKS[itemsize])
    return ((bits & exponent) == 0) & ((bits & mantissa) != 0)


def strictly_negative_bits(xp, bits, itemsize: int):
    """``x < 0`` decided on the bits: sign set, not -0.0, not a NaN (FTZ would make
    negative subnormals -0.0 in a float comparison)."""
    uint = UINT[itemsize].type
    sign = uint(_SIGN[itemsize])
    neg_inf = uint(_SIGN[itemsize] | FLOAT_MASKS[itemsize][0])
    return (bits > sign) & (bits <= neg_inf)


def ftz_safe(config, semantics=None) -> bool:
    """Whether flush-to-zero cannot change the reference's result for ``config``.

    True when the configuration's FTZ-sensitive values (``ftz_values``: for
    the article's path amax, ``max_bound / amax`` and ``amax / max_bound``,
    float32 as the reference computes them) are each zero, infinite, NaN or
    at least 2**-125 in magnitude. (See the module docstring for why that
    suffices.)
    """
    values = config.ftz_values(semantics)
    return all(v == 0 or not np.isfinite(v) or abs(v) >= _SAFE_TINY for v in values)


def check_cuda_sweep(target, plan: SweepPlan, jobs) -> None:
    """UsageError, naming the fix, unless this machine, target and plan can sweep on cuda."""
    from ..devices import check_device
    from ..errors import UsageError

    if jobs not in (None, 1):
        raise UsageError(f"a cuda sweep runs in one process (the GPU does the parallel work): "
                         f"jobs must be 1, got {jobs}.")
    if plan.dtype == "bfloat16":
        raise UsageError("a cuda sweep checks float16 and float32 (CuPy has no bfloat16): "
                         "sweep bfloat16 on the cpu.")
    check_device("cuda")
    try:
        import cupy

        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # ImportError, or CUDARuntimeError without a driver
        raise UsageError(
            f"a cuda sweep runs the reference with CuPy, which is unavailable here "
            f"({type(exc).__name__}: {exc}); install the CuPy build of your CUDA "
            "(extra 'cuda12' or 'cuda13'), or sweep on the cpu."
        ) from None
    if count < 1:
        raise UsageError("CuPy sees no CUDA device: sweep on the cpu.")


def _host(a) -> np.ndarray:
    return a.get() if hasattr(a, "get") else np.asarray(a)


class CudaChunkChecker:
    """Checks chunks of one plan against one target on one device, with the reference on ``xp``."""

    def __init__(self, target, plan: SweepPlan, *, semantics, keep: int = 5, xp=None,
                 device: str = "cuda", host_subnormals: bool | None = None, announce=None):
        if xp is None:
            import cupy as xp
        self.xp = xp
        self.device = device
        # Recompute float32 subnormal inputs on the host: needed with CuPy (FTZ); a test
        # switches it on with NumPy to exercise the patching.
        self.host_subnormals = xp is not np if host_subnormals is None else host_subnormals
        self.target = target
        self.announce = announce or no_announce  # see ChunkChecker
        self.plan = plan
        self.semantics = semantics
        self.keep = keep
        self.function = sweep_function(plan.function)
        self.functions = self.function.called(target)
        self.dtype, self.uint = PATTERN_DTYPES[plan.dtype]
        self.size = self.dtype.itemsize

    # -- the pieces ------------------------------------------------------------------------------

    def _patterns(self, start: int, stop: int):
        """The chunk's bit patterns, made where ``xp`` computes (no host copy)."""
        xp = self.xp
        return xp.arange(stop - start, dtype=self.uint) + self.uint(start)

    def _to_torch(self, a):
        import torch

        return torch.from_dlpack(a).to(self.device)  # the same memory when already there

    def _from_torch(self, tensor):
        import torch

        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor, got {type(tensor).__name__}")
        if tensor.device.type != self.device:
            raise TypeError(f"expected a tensor on {self.device}, got one on {tensor.device}")
        if tensor.dtype == torch.bfloat16:
            raise TypeError("got a bfloat16 tensor")
        return self.xp.from_dlpack(tensor.detach().contiguous())

    def _reference(self, name, x, bits, config, host_only):
        """The reference's result for ``x``; float32 subnormal inputs and FTZ-unsafe
        configurations on the host with NumPy (see the module docstring)."""
        xp = self.xp
        on_host = self.function.reference_call(name, semantics=self.semantics)
        if host_only and xp is not np:
            with np.errstate(all="ignore"):
                out = on_host(_host(x), config)
            return _map(xp.asarray, out)
        with np.errstate(all="ignore"):
            out = self.function.reference_call(name, xp, self.semantics)(x, config)
        if self.size == 4 and self.host_subnormals:
            where = xp.flatnonzero(subnormal_bits(xp, bits, 4))
            if where.size:
                with np.errstate(all="ignore"):
                    fixed = on_host(_host(x[where]), config)
                codes = out[0] if isinstance(out, tuple) else out
                codes[where] = xp.asarray(fixed[0] if isinstance(fixed, tuple) else fixed)
        return out

    # -- a chunk ---------------------------------------------------------------------------------

    def check(self, number: int) -> ChunkOutcome:
        xp = self.xp
        config, start, stop = self.plan.chunk(number)
        host_only = not ftz_safe(config, self.semantics)
        negative = None
        if config.rejects_negative:
            negative = strictly_negative_bits(xp, self._patterns(start, stop), self.size)
            if not bool(negative.any()):
                negative = None
        groups = [False] if negative is None else [False, True]
        found: list[SweepMismatch] = []
        count = checked = 0
        for as_group in groups:
            for name in self.functions:
                bits = self._patterns(start, stop)  # fresh: a target may write its inputs
                if negative is not None:
                    bits = bits[negative] if as_group else bits[~negative]
                if not as_group:
                    checked = int(bits.size)
                n, items = self._check_call(number, name, config, bits, as_group, host_only)
                count += n
                found += items[: max(0, self.keep - len(found))]
        return ChunkOutcome(number, checked if negative is not None else stop - start,
                            count, tuple(found))

    def _check_call(self, number, name, config, bits, as_group, host_only):
        xp = self.xp
        x = bits.view(self.dtype)
        self.announce(f"the reference's {name}")
        if as_group:  # one call that must raise: the reference decides on the host, on one witness
            with np.errstate(all="ignore"):
                expected, expected_exc = call_safely(
                    self.function.reference_call(name, semantics=self.semantics),
                    _host(x[:1]), config)
        else:
            expected, expected_exc = call_safely(self._reference, name, x, bits, config, host_only)
        tensors = [None if t is None else self._to_torch(xp.asarray(t)) for t in config.tensors()]
        self.announce(f"the target's {name}")
        actual, actual_exc = call_safely(getattr(self.target, name), self._to_torch(x), *tensors,
                                         *config.numbers())

        def report(output, index, exp, act, detail=""):
            input_bits = "(none)"
            if x.size:
                value = _host(x.reshape(-1)[index:index + 1])[0]
                input_bits = hex_bits(value, value.dtype)
            return SweepMismatch(number, name, output, config, self.plan.dtype, input_bits,
                                 exp, act, detail)

        return judge_call(name, (expected, expected_exc), (actual, actual_exc), x.size, as_group,
                          report, lambda output, exp, act: self._compare(report, output, exp,
                                                                         act, x))

    def _compare(self, report, output, expected, actual, x):
        try:
            actual = self._from_torch(actual)
        except Exception as exc:
            return x.size, [report(output, 0, "a tensor", exception_text(exc))]
        if expected.dtype != actual.dtype or expected.shape != actual.shape:
            return x.size, [report(output, 0, dtype_name(expected.dtype) + str(expected.shape),
                                   dtype_name(actual.dtype) + str(tuple(actual.shape)),
                                   "dtype or shape differs")]
        indices = differing(self.xp, expected, actual)
        if not indices.size:
            return 0, []
        first = _host(indices[: self.keep])
        exp = _host(expected.reshape(-1)[indices[: self.keep]])
        act = _host(actual.reshape(-1)[indices[: self.keep]])
        if expected.size == 1 and x.size > 1:  # the scale: one value for the call
            return 1, [report(output, 0, hex_bits(exp[0], exp.dtype), hex_bits(act[0], act.dtype),
                              "the scale of the call")]
        items = [
            report(output, int(i), hex_bits(e, exp.dtype), hex_bits(a, act.dtype),
                   f"{float(e)!r} expected, {float(a)!r} got")
            for i, e, a in zip(first, exp, act, strict=True)
        ]
        return int(indices.size), items


def _map(function, out):
    return tuple(function(o) for o in out) if isinstance(out, tuple) else function(out)
