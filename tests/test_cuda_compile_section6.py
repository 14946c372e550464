"""The CUDA kernel's SPEC section 6 element code (affine, E4M3), checked without a GPU.

The host build of ``tensor_quant_kernel.cu`` (``TQ_HOST_HARNESS``, see
test_cuda_compile.py) runs ``tensor_quant_affine_host`` and
``tensor_quant_e4m3_host`` with the cupy target's own launch plans; the
results are compared bit for bit with the reference, and the whole target,
launched on the host, passes every section 6 property. nvcc compiles the
same text there (and checks it has no float32 instruction).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import reference
from conformance.builtin import cupy_tensor_quant as kernel
from conformance.compare import first_mismatch
from conformance.convert import to_torch
from conformance.strategies.fp8 import exhaustive_calls

from . import test_cuda_compile

# The host build of the kernel and the cupy target launched on it (fixtures shared).
host_kernel = test_cuda_compile.host_kernel
host_launched_target = test_cuda_compile.host_launched_target

DTYPES = (np.dtype(np.float16), reference.BFLOAT16, np.dtype(np.float32), np.dtype(np.float64))
SECTION6 = ("legacy_fake", "affine_values", "affine_gradient", "e4m3_values", "e4m3_gradient",
            "descriptor_serialization", "golden_vectors")


def _run(function, *arrays, **arguments):
    """The target's function on CPU tensors (launches on the host), results as NumPy."""
    from conformance.convert import to_numpy

    tensors = [None if a is None else to_torch(a) for a in arrays]
    return to_numpy(getattr(kernel, function)(*tensors, **arguments))


def _same(expected, actual, what):
    mismatch = first_mismatch(expected, actual, name=what)
    assert mismatch is None, f"{what}: {mismatch}"


def _affine_inputs(dtype, low, high, num_bits):
    levels = 2.0**num_bits - 1
    with np.errstate(all="ignore"):
        step = (high - low) / levels if levels else np.inf
    ties = (np.arange(-40, 40) + 0.5) * step + low if np.isfinite(step) and step else []
    values = np.concatenate([np.linspace(low - 1, high + 1, 41), ties,
                             [0.0, -0.0, np.nan, np.inf, -np.inf, low, high, 1e30]])
    with np.errstate(all="ignore"):
        exact = values.astype(dtype)
    bits = exact.view(np.dtype(f"u{exact.dtype.itemsize}"))
    return np.concatenate([exact, (bits + 1).view(dtype), (bits - 1).view(dtype)])


@pytest.mark.parametrize("dtype,range_dtype", list(itertools.product(DTYPES, DTYPES)),
                         ids=lambda d: reference.dtype_name(d))
def test_host_affine_matches_reference(host_launched_target, dtype, range_dtype):
    ranges = [(-0.5, 1.0), (-1.0, 1.0), (0.5, 2.0), (-3.0, -1.0), (0.0, 2.0), (1.0, 1.0),
              (1.0, -1.0), (np.nan, 1.0), (-1.0, np.inf), (-3e38, 3e38), (-0.15625, 15.78125)]
    for (low, high), num_bits in itertools.product(ranges, (8, 1, 4, 16, 0, 17, 25, 129)):
        with np.errstate(all="ignore"):  # huge ranges overflow float16: part of the test
            x = _affine_inputs(dtype, low, high, num_bits)
        for shapes in (((), ()), ((1,), ()), ((1,), (1,))):
            with np.errstate(over="ignore"):
                lo = np.asarray(low, dtype=np.float64).astype(range_dtype).reshape(shapes[0])
                hi = np.asarray(high, dtype=np.float64).astype(range_dtype).reshape(shapes[1])
            what = f"{reference.dtype_name(dtype)} [{low}, {high}] {shapes} bits={num_bits}"
            try:
                with np.errstate(all="ignore"):
                    expected = reference.fake_affine_tensor_quant(x, lo, hi, num_bits)
            except (RuntimeError, OverflowError) as exc:
                with pytest.raises(type(exc)):
                    _run("fake_affine_tensor_quant", x, lo, hi, num_bits=num_bits)
                continue
            _same(expected, _run("fake_affine_tensor_quant", x, lo, hi, num_bits=num_bits), what)


def test_host_affine_per_channel(host_launched_target):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 5)) * 2).astype(np.float32)
    low = np.asarray([[[-1.0]], [[-0.2]], [[0.5]]], np.float32)
    high = np.asarray([[[1.0]], [[3.0]], [[0.7]]], np.float32)
    strided = x[:, ::2, ::-1]
    for inputs in (x, strided, x.astype(reference.BFLOAT16)):
        _same(reference.fake_affine_tensor_quant(inputs, low, high, 5),
              _run("fake_affine_tensor_quant", inputs, low, high, num_bits=5), "per channel")


@pytest.mark.parametrize("call", exhaustive_calls(), ids=lambda c: (
    f"{reference.dtype_name(c.inputs['inputs'].dtype)}-"
    f"{'none' if 'amax' not in c.inputs else reference.dtype_name(c.inputs['amax'].dtype)}"))
def test_host_e4m3_matches_reference_on_every_boundary(host_launched_target, call):
    """Every float16 and bfloat16 input, every E4M3 boundary in float32 and float64."""
    amax = call.inputs.get("amax")
    _same(call.expected().outputs, _run("scaled_e4m3", call.inputs["inputs"], amax),
          "scaled_e4m3")


@pytest.mark.parametrize("amax_value", [0.0, np.inf, np.nan, -2.0, 1e-6, 7.0, 65504.0])
@pytest.mark.parametrize("amax_dtype", DTYPES, ids=lambda d: reference.dtype_name(d))
def test_host_e4m3_special_amax(host_launched_target, amax_value, amax_dtype):
    x = np.asarray([1.0, -3.0, 0.0, -0.0, np.inf, np.nan, 2.0**-30, 5e-8, 448.0, 1e4],
                   dtype=np.float32)
    with np.errstate(all="ignore"):
        for amax in (np.asarray(amax_value).astype(amax_dtype),
                     np.asarray([amax_value]).astype(amax_dtype)):
            _same(reference.scaled_e4m3(x, amax), _run("scaled_e4m3", x, amax),
                  f"amax {amax!r}")


def test_host_e4m3_leading_dimension_mask(host_launched_target):
    """amax (2,1) widening (2,) inputs: the zero mask zeroes the first row (SPEC 6.3)."""
    x, amax = np.asarray([1e-9, 1.0], np.float32), np.asarray([[1.0], [2.0]], np.float32)
    _same(reference.scaled_e4m3(x, amax), _run("scaled_e4m3", x, amax), "rows")
    with pytest.raises(IndexError):
        _run("scaled_e4m3", np.ones(3, np.float32), amax)


def test_host_target_passes_every_section6_property(host_launched_target):
    from conformance.runner import run_target

    report = run_target(host_launched_target, device="cpu", profile="quick",
                        properties=list(SECTION6))
    statuses = {r.property: (r.status, r.reason) for r in report.results}
    assert all(status == "pass" for status, _ in statuses.values()), statuses


def test_host_harness_catches_a_broken_e4m3(host_launched_target):
    """The comparison can fail: a non-saturating conversion differs at 1e4."""
    x = np.asarray([1e4, 448.0], np.float32)
    broken = np.asarray([np.nan, 448.0], np.float32)
    assert first_mismatch(broken, _run("scaled_e4m3", x, None)) is not None
