"""``sweep --device cuda``: the GPU checker, on the CPU where it can be, on the GPU where it must.

``conformance.sweep.cuda.CudaChunkChecker`` is written against an array
namespace and a torch device, so the first half of this file runs it with
NumPy and torch on the CPU and holds it to the CPU checker's verdicts and
exact first mismatches. The second half (marker ``cuda``) runs the real
thing, CuPy reference against the ``torch`` and ``cupy`` targets on cuda,
and is skipped with the reason on a machine without CuPy or a CUDA device.
"""

from __future__ import annotations

import numpy as np
import pytest

from conformance.cli import main
from conformance.compare import differing, is_nan_bits
from conformance.sweep.check import ChunkChecker
from conformance.sweep.cuda import (
    CudaChunkChecker,
    ftz_safe,
    strictly_negative_bits,
    subnormal_bits,
)
from conformance.sweep.plan import SweepPlan
from conformance.targets import load_target
from reference.variations import combine


def plan(dtype="float16", num_bits=(8,), signs=(False,), ranges=(True,), amaxes=(1.0,),
         chunk_size=1 << 16):
    return SweepPlan.build(dtype, num_bits=num_bits, signs=signs, ranges=ranges, amaxes=amaxes,
                           chunk_size=chunk_size)


def _outcomes(checker, numbers):
    out = []
    for n in numbers:
        o = checker.check(n)
        out.append((o.inputs, o.mismatch_count,
                    [(m.function, m.output, m.input_bits, m.expected, m.actual)
                     for m in o.mismatches]))
    return out


def _both(target_spec, p, numbers, keep=3, host_subnormals=False):
    target = load_target(target_spec)
    semantics = combine(target.variations)
    cpu = ChunkChecker(target, p, semantics=semantics, keep=keep)
    gpu_code = CudaChunkChecker(target, p, semantics=semantics, keep=keep, xp=np, device="cpu",
                                host_subnormals=host_subnormals)
    return _outcomes(cpu, numbers), _outcomes(gpu_code, numbers)


# -- the pieces, with NumPy ------------------------------------------------------------------


def test_differing_is_bit_equality_with_nan_equal_to_nan():
    e = np.array([0.0, -0.0, np.nan, 1.0, np.inf, np.nan], dtype=np.float32)
    a = np.array([0.0, 0.0, -np.nan, 1.0, np.inf, 2.0], dtype=np.float32)
    a_bits = a.view(np.uint32).copy()
    a_bits[2] = 0xFFC00001  # another NaN payload: still equal
    assert differing(np, e, a_bits.view(np.float32)).tolist() == [1, 5]
    assert differing(np, e, e.copy()).size == 0


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_bit_classifiers_agree_with_numpy_floats(dtype):
    uint = np.uint16 if dtype == np.float16 else np.uint32
    if dtype == np.float16:
        bits = np.arange(1 << 16, dtype=uint)
    else:
        bits = np.random.default_rng(0).integers(0, 1 << 32, 1 << 18, dtype=np.uint64).astype(uint)
        bits = np.concatenate([bits, np.array([0, 1, 0x7FFFFF, 0x800000, 0x80000000, 0x80000001,
                                               0xFF800000, 0xFF800001, 0x7F800000, 0x7FC00000],
                                              dtype=uint)])
    x = bits.view(dtype)
    size = np.dtype(dtype).itemsize
    with np.errstate(invalid="ignore"):
        assert np.array_equal(is_nan_bits(np, bits, size), np.isnan(x))
        assert np.array_equal(strictly_negative_bits(np, bits, size), x < 0)
    tiny = np.finfo(dtype).tiny
    assert np.array_equal(subnormal_bits(np, bits, size), (np.abs(x) < tiny) & (x != 0))


def test_ftz_safe_flags_configurations_with_subnormal_amax_values():
    (safe,) = plan("float32", amaxes=(1.0,)).configs
    assert ftz_safe(safe)
    for amax in (2.0**-149, 2.0**-127, float(np.finfo(np.float32).max)):
        (config,) = plan("float32", num_bits=(2,), amaxes=(amax,)).configs
        assert not ftz_safe(config), amax
    for amax in (0.0, float("inf"), 2.0**-24, 65504.0):
        (config,) = plan("float32", amaxes=(amax,)).configs
        assert ftz_safe(config), amax


# -- the checker with NumPy and torch on the CPU: the CPU checker's verdicts -------------------


def test_every_float16_pattern_of_the_torch_target_passes_like_on_cpu():
    p = plan(num_bits=(1, 8), signs=(False, True), ranges=(True, False), amaxes=(1.0, 2.0**-24))
    cpu, gpu_code = _both("torch", p, range(p.chunk_count))
    assert cpu == gpu_code
    assert all(count == 0 for _, count, _ in gpu_code)


@pytest.mark.parametrize("kernel,p", [
    ("half_away", plan(num_bits=(2,))),
    ("always_narrow", plan(ranges=(False,))),
    ("strict_zero_amax", plan(amaxes=(2.0**-24,))),
    ("unsigned_accepts_negative", plan(signs=(True,))),
])
def test_broken_kernels_give_the_cpu_checkers_exact_first_mismatches(kernel, p):
    cpu, gpu_code = _both(f"tests.targets.sweep.{kernel}", p, range(p.chunk_count))
    assert cpu == gpu_code
    assert sum(count for _, count, _ in gpu_code) > 0


@pytest.mark.parametrize("signs", [(False,), (True,)])
def test_a_float32_chunk_with_subnormals_and_negatives_matches_the_cpu_checker(signs):
    # Chunk 0x800 of 2**20: 0x80000000.. holds -0.0 and negative subnormals (unsigned: must
    # raise); the subnormals' expected results are recomputed on the "host" and scattered.
    p = plan("float32", signs=signs, chunk_size=1 << 20)
    cpu, gpu_code = _both("torch", p, [0, 0x800, 0x3F8], host_subnormals=True)
    assert cpu == gpu_code
    assert all(count == 0 for _, count, _ in gpu_code)


def test_device_cuda_without_cuda_exits_2_with_the_fix(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["sweep", "--target", "torch", "--device", "cuda", "--dtype", "float32",
                 "--amax", "1.0", "--no-progress"]) == 2
    assert "CUDA" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (["--target", "torch", "--dtype", "bfloat16"], "no bfloat16"),
    (["--target", "torch", "--dtype", "float16", "--jobs", "2"], "one process"),
    (["--target", "tests.targets.sweep.half_away", "--dtype", "float16"], "not cuda"),
])
def test_device_cuda_refuses_what_it_cannot_sweep(capsys, args, message):
    assert main(["sweep", *args, "--device", "cuda", "--no-progress"]) == 2
    assert message in capsys.readouterr().err


# -- on the GPU ------------------------------------------------------------------------------


def _why_no_gpu_sweep() -> str | None:
    import torch

    if not torch.cuda.is_available():
        return f"no CUDA device: torch.cuda.is_available() is False (torch {torch.__version__})"
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy sees no CUDA device"
    except Exception as exc:  # ImportError, CUDARuntimeError
        return f"CuPy unavailable ({type(exc).__name__}: {exc}); pip install cupy-cuda12x"
    return None


_NO_GPU = _why_no_gpu_sweep()


def _gpu(target_spec, p, numbers, keep=3):
    target = load_target(target_spec)
    semantics = combine(target.variations)
    cpu = ChunkChecker(target, p, semantics=semantics, keep=keep)
    return _outcomes(cpu, numbers), _outcomes(
        CudaChunkChecker(target, p, semantics=semantics, keep=keep), numbers)


@pytest.mark.cuda
@pytest.mark.skipif(_NO_GPU is not None, reason=_NO_GPU or "")
@pytest.mark.parametrize("target", ["torch", "cupy"])
def test_gpu_full_float32_sweep_passes(target, capsys):
    assert main(["sweep", "--target", target, "--device", "cuda", "--dtype", "float32",
                 "--amax", "1.0", "--no-progress", "--fail-fast"]) == 0, capsys.readouterr().out


@pytest.mark.cuda
@pytest.mark.skipif(_NO_GPU is not None, reason=_NO_GPU or "")
@pytest.mark.parametrize("amax", [1.0, 2.0**-127, 2.0**-24, 3.0e38])
def test_gpu_checker_agrees_with_the_cpu_on_subnormal_chunks(amax):
    # Chunks 0 and 0x800 of 2**20 hold every positive / negative float32 subnormal
    # (the host-patched patterns); 2**-127 and 3e38 with 2 bits are FTZ-unsafe configurations.
    p = plan("float32", num_bits=(2, 8), signs=(False, True), amaxes=(amax,), chunk_size=1 << 20)
    numbers = [c * p.chunks_per_config + n for c in range(len(p.configs)) for n in (0, 0x800, 0x3F8)]
    cpu, gpu = _gpu("torch", p, numbers)
    assert cpu == gpu


@pytest.mark.cuda
@pytest.mark.skipif(_NO_GPU is not None, reason=_NO_GPU or "")
@pytest.mark.parametrize("kernel,p", [
    ("half_away", plan(num_bits=(2,))),
    ("unsigned_accepts_negative", plan(signs=(True,))),
])
def test_gpu_checker_finds_the_broken_kernels_first_mismatch(kernel, p):
    # The broken kernels are torch code: the same module runs on cuda.
    cpu, gpu = _gpu(f"tests.targets.sweep.{kernel}", p, range(p.chunk_count))
    assert cpu == gpu and sum(count for _, count, _ in gpu) > 0


# -- SPEC section 6's functions on the GPU (conformance.sweep.functions) ----------------------


@pytest.mark.cuda
@pytest.mark.skipif(_NO_GPU is not None, reason=_NO_GPU or "")
@pytest.mark.parametrize("target", ["torch", "cupy"])
@pytest.mark.parametrize("function", ["fake_affine_tensor_quant", "scaled_e4m3"])
def test_gpu_sweeps_of_every_float16_pattern_of_the_section6_grids_pass(target, function,
                                                                      capsys):
    assert main(["sweep", "--target", target, "--device", "cuda", "--function", function,
                 "--dtype", "float16", "--no-progress", "--fail-fast"]) == 0, \
        capsys.readouterr().out


@pytest.mark.cuda
@pytest.mark.skipif(_NO_GPU is not None, reason=_NO_GPU or "")
@pytest.mark.parametrize("function, grid", [
    ("scaled_e4m3", {"amaxes": (None, 1.0, 448.0, 2.0**-127)}),  # 2**-127: FTZ-unsafe
    ("fake_affine_tensor_quant", {"ranges": ((-1.0, 1.0), (0.0, 2.0**-120))}),  # tiny step
])
def test_gpu_checker_agrees_with_the_cpu_on_section6_float32_chunks(function, grid):
    from conformance.sweep import Grid, grid_plan

    p = grid_plan("float32", [Grid(**grid)], chunk_size=1 << 20, function=function)
    numbers = [c * p.chunks_per_config + n for c in range(len(p.configs))
               for n in (0, 0x800, 0x3F8, 0x43E)]
    cpu, gpu = _gpu("torch", p, numbers)
    assert cpu == gpu
