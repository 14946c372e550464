"""The CUDA kernel's source, checked without a GPU.

* nvcc compiles the exact text CuPy hands NVRTC (skipped where nvcc is
  missing), so a syntax error cannot land;
* a host C++ compiler builds the same element code (``TQ_HOST_HARNESS``)
  and the host loop is compared bit for bit with the reference on every
  dtype combination: the arithmetic is checked here, only the launch and
  DLPack glue waits for a GPU (tests/test_cuda.py).
"""

from __future__ import annotations

import ctypes
import itertools
import shutil
import subprocess

import numpy as np
import pytest
import torch

import reference
from conformance.builtin import cupy_tensor_quant as kernel
from conformance.compare import first_mismatch
from conformance.convert import to_numpy, to_torch

DTYPES = (np.dtype(np.float16), reference.BFLOAT16, np.dtype(np.float32), np.dtype(np.float64))


def _compile(compiler, args, tmp_path):
    source = tmp_path / "tensor_quant_kernel.cu"
    source.write_text(kernel.kernel_source(), encoding="utf-8")
    result = subprocess.run([compiler, *args, str(source)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, f"{compiler} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_nvcc_compiles_the_kernel_source(tmp_path):
    # KERNEL_OPTIONS are NVRTC's spelling and nvcc accepts them as they are.
    _compile("nvcc", ["-c", "-arch=sm_80", *kernel.KERNEL_OPTIONS, "-x", "cu",
                      "-o", str(tmp_path / "kernel.o")], tmp_path)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_kernel_has_no_float32_instruction_for_ftz_to_flush(tmp_path):
    """CuPy compiles with -ftz=true appended; float32 instructions would flush subnormals."""
    _compile("nvcc", ["--ptx", "-arch=sm_80", *kernel.KERNEL_OPTIONS, "-ftz=true", "-x", "cu",
                      "-o", str(tmp_path / "kernel.ptx")], tmp_path)
    ptx = (tmp_path / "kernel.ptx").read_text()
    assert "tensor_quant_kernel" in ptx and "tensor_quant_scale_kernel" in ptx
    float32_instructions = sorted({line.split()[0] for line in ptx.splitlines()
                                   if ".f32" in line or ".ftz" in line})
    assert not float32_instructions, float32_instructions


#: The ctypes type of each scalar kind the target's launches pass (``_plan_args`` and sizes).
C_SCALARS = {np.int32: ctypes.c_int, np.int64: ctypes.c_longlong, np.float64: ctypes.c_double}


def c_arguments(args):
    """The target's launch arguments as ctypes values: arrays by address, scalars by kind."""
    return [ctypes.c_void_p(a.ctypes.data) if isinstance(a, np.ndarray)
            else C_SCALARS[type(a)](a.item()) for a in args]


class HostKernel:
    """The kernel's element code run on the host, with the target's own launch plan."""

    def __init__(self, library_path):
        self.lib = ctypes.CDLL(str(library_path))

    @staticmethod
    def _buffer(array):
        return array.ctypes.data_as(ctypes.c_void_p)

    @staticmethod
    def _strides(array, shape):
        strides = [0] * len(shape)
        offset = len(shape) - array.ndim
        for axis in range(array.ndim):
            if array.shape[axis] != 1:
                strides[offset + axis] = array.strides[axis] // array.itemsize
        return strides

    def _plan(self, inputs, amax, num_bits, unsigned, narrow_range, out_dtype_key):
        plan = kernel.launch_plan(to_torch(inputs), to_torch(amax), num_bits, unsigned,
                                  narrow_range)
        return plan, kernel._plan_args(plan, plan[out_dtype_key])

    def run(self, inputs, amax, num_bits=8, unsigned=False, narrow_range=True, *, fake):
        plan, args = self._plan(inputs, amax, num_bits, unsigned, narrow_range,
                                "fake" if fake else "codes")
        shape = np.broadcast_shapes(inputs.shape, amax.shape)
        out = to_numpy(torch.empty(shape, dtype=plan["fake" if fake else "codes"]))
        meta = np.asarray([*shape, *self._strides(inputs, shape),
                           *self._strides(amax, shape)] or [0], dtype=np.int64)
        self.lib.tensor_quant_host(
            self._buffer(inputs), self._buffer(amax), self._buffer(out), self._buffer(meta),
            ctypes.c_int(len(shape)), ctypes.c_longlong(out.size), ctypes.c_int(int(fake)),
            *c_arguments(args),
        )
        return out

    def scales(self, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        plan, args = self._plan(inputs, amax, num_bits, unsigned, narrow_range, "codes")
        scale = to_numpy(torch.empty(amax.shape, dtype=plan["scale"]))
        scale_in_input_dtype = np.empty(amax.shape, dtype=inputs.dtype)
        meta = np.asarray([*amax.shape, *self._strides(amax, amax.shape)] or [0],
                          dtype=np.int64)
        self.lib.tensor_quant_scale_host(
            self._buffer(amax), self._buffer(scale), self._buffer(scale_in_input_dtype),
            self._buffer(meta), ctypes.c_int(amax.ndim), ctypes.c_longlong(amax.size),
            *c_arguments(args),
        )
        return scale, scale_in_input_dtype


@pytest.fixture(scope="module")
def host_kernel(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if compiler is None:
        pytest.skip("no host C++ compiler (g++/c++/clang++) to build the kernel's element code")
    tmp_path = tmp_path_factory.mktemp("host_kernel")
    _compile(compiler, ["-x", "c++", "-O1", "-shared", "-fPIC", "-DTQ_HOST_HARNESS",
                        "-o", str(tmp_path / "libtq.so")], tmp_path)
    return HostKernel(tmp_path / "libtq.so")


def _special_values(dtype):
    """Ties, ulp neighbours, bounds, 2**-24, 65504, non-finite, signed zeros."""
    base = [0.0, -0.0, 2.0**-24, -(2.0**-24), 1e-30, 0.5, 1.5, 2.5, 126.5, 127.0, 127.5,
            128.0, -127.5, -128.5, -129.0, 1.0, 0.1, 3.0, 65504.0, 7e4, 1e30, -1e30,
            np.inf, -np.inf, np.nan, 1.0 / 127, 0.37, -0.37, 1e-7, 6e-8]
    values = np.asarray(base, dtype=np.float64).astype(dtype)
    bits = values.view(np.uint64 if dtype.itemsize == 8 else
                       np.uint32 if dtype.itemsize == 4 else np.uint16)
    neighbours = np.concatenate([bits, bits + 1, bits - 1]).view(dtype)
    return neighbours


def _inputs(dtype, rng, size=4000):
    if dtype.itemsize == 2:
        every = np.arange(65536, dtype=np.uint16).view(dtype)
        return every
    random = (rng.standard_normal(size) * rng.choice([1e-3, 1.0, 100.0], size)).astype(dtype)
    return np.concatenate([random, _special_values(dtype)])


def _amaxes(dtype, inputs):
    with np.errstate(invalid="ignore"):
            finite = inputs[np.isfinite(inputs.astype(np.float64))]
    natural = np.max(np.abs(finite.astype(np.float64))) if finite.size else 1.0
    # 127 / (1 + 2**-11 + 2**-40): a float64 scale whose float32 rounding is a
    # float16 tie (PyTorch casts float64 -> float32 -> float16).
    values = [natural, 1.0, 0.37, 2.0**-24, 0.0, 1e-3, 3e-3, np.inf, np.nan, 1e5,
              127 / (1 + 2.0**-11 + 2.0**-40), 2.0**-24 * 1.5, 1.0 / 512]
    return [np.asarray(v, dtype=np.float64).astype(dtype) for v in values]


def _assert_same(expected, actual, what):
    mismatch = first_mismatch(expected, actual, name=what)
    assert mismatch is None, str(mismatch)


@pytest.mark.parametrize("input_dtype,amax_dtype", list(itertools.product(DTYPES, DTYPES)),
                         ids=lambda d: reference.dtype_name(d))
def test_host_kernel_matches_reference_per_tensor(host_kernel, input_dtype, amax_dtype):
    rng = np.random.default_rng(0)
    inputs = _inputs(input_dtype, rng)
    for amax in _amaxes(amax_dtype, inputs):
        for num_bits, unsigned, narrow in ((8, False, True), (8, False, False), (4, False, True),
                                           (8, True, True), (1, False, True), (16, False, False)):
            x = np.abs(inputs) if unsigned else inputs
            what = f"{reference.dtype_name(input_dtype)} amax={amax!r} bits={num_bits} u={unsigned} n={narrow}"
            expected = reference.fake_tensor_quant(x, amax, num_bits, unsigned, narrow)
            _assert_same(expected, host_kernel.run(x, amax, num_bits, unsigned, narrow, fake=True),
                         "fake " + what)
            try:
                codes, scale = reference.tensor_quant(x, amax, num_bits, unsigned, narrow)
            except ValueError:
                continue  # the float16 scale overflow: checked on the host, not in the kernel
            _assert_same(codes, host_kernel.run(x, amax, num_bits, unsigned, narrow, fake=False),
                         "codes " + what)
            _assert_same(scale, host_kernel.scales(x, amax, num_bits, unsigned, narrow)[1],
                         "scale " + what)


@pytest.mark.parametrize("input_dtype,amax_dtype", list(itertools.product(DTYPES, DTYPES)),
                         ids=lambda d: reference.dtype_name(d))
def test_host_kernel_matches_reference_per_channel(host_kernel, input_dtype, amax_dtype):
    rng = np.random.default_rng(1)
    weights = (rng.standard_normal((6, 5, 7)) * 3).astype(input_dtype)
    weights[0, 0, :4] = np.asarray([np.nan, np.inf, -0.0, 0.5], dtype=np.float64).astype(input_dtype)
    cases = [
        reference.compute_amax(weights, axis=0).astype(amax_dtype),  # (6,1,1)
        reference.compute_amax(weights, axis=(0, 2)).astype(amax_dtype),  # (6,1,7)
        reference.compute_amax(weights, axis=2).astype(amax_dtype)[0],  # (1,7): fewer dims
        np.abs(rng.standard_normal((2, 1, 5, 1))).astype(amax_dtype),  # more dims than inputs
        np.asarray([[[0.0]], [[2.0**-24]], [[np.nan]], [[np.inf]], [[1.0]], [[1e-3]]],
                   dtype=np.float64).astype(amax_dtype),
        np.asarray([3.0], dtype=np.float64).astype(amax_dtype),  # one element, 1-d
    ]
    strided_inputs = weights[:, ::2, ::-1][..., ::2]  # non-contiguous, reversed
    for amax in cases:
        for x in (weights, strided_inputs):
            for narrow in (True, False):
                try:
                    np.broadcast_shapes(x.shape, amax.shape)
                except ValueError:
                    continue
                what = f"{x.shape} amax {amax.shape} {reference.dtype_name(amax.dtype)} n={narrow}"
                expected = reference.fake_tensor_quant(x, amax, 8, False, narrow)
                _assert_same(expected, host_kernel.run(x, amax, 8, False, narrow, fake=True),
                             "fake " + what)
                try:
                    codes, scale = reference.tensor_quant(x, amax, 8, False, narrow)
                except ValueError:
                    continue
                _assert_same(codes, host_kernel.run(x, amax, 8, False, narrow, fake=False),
                             "codes " + what)
                _assert_same(scale, host_kernel.scales(x, amax)[1], "scale " + what)


def test_host_kernel_catches_a_broken_rounding(host_kernel):
    """The comparison can fail: half away from zero differs from the kernel at ties."""
    x = np.asarray([0.5, 1.5, 2.5, -2.5], dtype=np.float32)
    amax = np.asarray(127.0, dtype=np.float32)
    broken = np.trunc(x + np.copysign(0.5, x)).astype(np.float32)
    assert first_mismatch(broken, host_kernel.run(x, amax, fake=False), name="codes") is not None


@pytest.fixture
def host_launched_target(host_kernel, monkeypatch):
    """The cupy target with its launches swapped for the host loop, loaded for device cpu.

    Everything but the CUDA launch, the DLPack views and the stream is the
    target's own code: argument checks, dtype plan, strides, autograd.
    """
    import contextlib
    import types

    from conformance.targets import load_target

    def view(cupy, tensor):  # the tensor's own memory, as the DLPack view would be
        tensor = tensor.detach()
        return (tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor).numpy()

    def launch(name, n, args):
        getattr(host_kernel.lib, name.replace("_kernel", "_host"))(*c_arguments(args))

    monkeypatch.setattr(kernel, "_cupy", lambda: types.SimpleNamespace(asarray=np.asarray))
    monkeypatch.setattr(kernel, "_view", view)
    monkeypatch.setattr(kernel, "_launch", launch)
    monkeypatch.setattr(kernel, "_check_device", lambda inputs: None)
    monkeypatch.setattr(kernel, "_on_torch_stream", lambda cupy, device: contextlib.nullcontext())
    monkeypatch.setattr(kernel, "CONFORMANCE_TARGET",
                        dict(kernel.CONFORMANCE_TARGET, devices=("cpu", "cuda")))
    return load_target(kernel.__name__)


def test_kernel_element_code_passes_the_suite_on_cpu(host_launched_target):
    """The whole target through the engine on CPU, its launches run on the host."""
    from conformance.runner import run_target

    report = run_target(host_launched_target, device="cpu", profile="quick")
    failed = {r.property: r.reason for r in report.results if r.status not in ("pass", "skip")}
    assert report.conforms, failed
