"""GPU-only tests (marker ``cuda``; run by ``tox -e cuda``).

* the ``cupy`` and ``torch`` targets pass the suite on device cuda, through
  the engine (``conformance.runner.run_target``);
* the reference gives the same bits on CuPy arrays as on NumPy arrays (a
  Hypothesis property on structured cases, and a large fixed sample);
* the CuPy kernel equals the CuPy reference on every float16 pattern and on
  millions of float32 values, per tensor and per channel, and equals the
  NumPy reference on every bfloat16 pattern (CuPy has no bfloat16).

Without CuPy or a CUDA device every test here is skipped, with the reason.
"""

from __future__ import annotations

import itertools
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference
from conformance import strategies
from conformance.compare import first_mismatch
from conformance.convert import to_numpy, to_torch
from reference.variations import VARIATIONS, combine


def _why_no_cuda() -> str | None:
    import torch

    if not torch.cuda.is_available():
        return (f"no CUDA device: torch.cuda.is_available() is False (torch {torch.__version__}, "
                f"CUDA build: {torch.version.cuda or 'none'})")
    return None


def _why_no_cupy() -> str | None:
    try:
        import cupy
    except ImportError:
        return "cupy not installed (pip install cupy-cuda12x or cupy-cuda13x)"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy sees no CUDA device"
    except Exception as exc:  # CUDARuntimeError without a driver
        return f"CuPy sees no CUDA device: {exc}"
    return None


_NO_CUDA = _why_no_cuda()
_NO_CUPY = _NO_CUDA or _why_no_cupy()
pytestmark = [pytest.mark.cuda, pytest.mark.skipif(_NO_CUDA is not None, reason=_NO_CUDA or "")]
#: For the tests that run CuPy themselves.
needs_cupy = pytest.mark.skipif(_NO_CUPY is not None, reason=_NO_CUPY or "")

GPU_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
CONFIGS = ((8, False, True), (8, False, False), (8, True, True), (4, False, True),
           (16, False, False), (1, False, True))


def _cupy():
    import cupy

    return cupy


def _torch():
    import torch

    return torch


# -- comparing on the GPU ----------------------------------------------------------------------

def _bits(array):
    cupy = _cupy()
    unsigned = {2: cupy.uint16, 4: cupy.uint32, 8: cupy.uint64}[array.dtype.itemsize]
    return cupy.ascontiguousarray(array).view(unsigned)


def assert_same_bits(expected, actual, what):
    """dtype, shape and bits equal (sign of zero counts; any NaN equals any NaN), on the GPU."""
    cupy = _cupy()
    assert expected.dtype == actual.dtype, f"{what}: dtype {actual.dtype}, expected {expected.dtype}"
    assert expected.shape == actual.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    differs = (_bits(expected) != _bits(actual)) & ~(cupy.isnan(expected) & cupy.isnan(actual))
    count = int(differs.sum())
    if count:
        i = int(cupy.argmax(differs.ravel()))
        raise AssertionError(
            f"{what}: {count} of {expected.size} elements differ; first at flat index {i}: "
            f"expected {expected.ravel()[i].item()!r}, got {actual.ravel()[i].item()!r}")


@needs_cupy
def test_gpu_comparison_catches_one_flipped_bit():
    cupy = _cupy()
    expected = cupy.asarray([0.0, 1.0, np.nan], dtype=cupy.float32)
    assert_same_bits(expected, expected.copy(), "identical")
    broken = expected.copy()
    broken.view(cupy.uint32)[0] = 0x80000000  # -0.0, set through its bits
    with pytest.raises(AssertionError, match="1 of 3"):
        assert_same_bits(expected, broken, "signed zero")


# -- the targets through the engine and the CLI --------------------------------------------------

def _registered_targets() -> dict[str, str]:
    """Registered name -> import path: installed metadata, else pyproject.toml.

    GPU runners test an uninstalled checkout (tox -e cuda skips the install),
    where entry points are not registered; pyproject.toml lists the same.
    """
    from conformance.targets import available_targets

    found = available_targets()
    if found:
        return found
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return {"torch": "conformance.builtin.torch_tensor_quant",
                "cupy": "conformance.builtin.cupy_tensor_quant"}
    root = pathlib.Path(__file__).resolve().parents[1]
    with open(root / "pyproject.toml", "rb") as f:
        entry_points = tomllib.load(f)["project"]["entry-points"]
    return dict(entry_points["tensor_quant_conformance.targets"])


def _cuda_target(name):
    """The loaded target, or a skip saying why it cannot run on cuda here."""
    from conformance.targets import TargetError, load_target

    path = _registered_targets()[name]
    if _NO_CUPY and "cupy" in path:
        pytest.skip(f"target {name}: {_NO_CUPY}")
    try:
        target = load_target(path)
    except TargetError as exc:
        pytest.skip(f"target {name} cannot be loaded here: {exc}")
    if "cuda" not in target.devices:
        pytest.skip(f"target {name} declares devices {target.devices}, not cuda")
    return target


@pytest.mark.parametrize("name", sorted(_registered_targets()))
def test_target_conforms_on_cuda(name):
    from conformance.runner import run_target

    report = run_target(_cuda_target(name), device="cuda",
                        profile=os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    failed = [r for r in report.results if r.status not in ("pass", "skip", "xfail")]
    details = "\n".join(
        f"{r.property}: {r.status}: {r.reason}"
        + (f"\n{r.counterexample.reproduction}" if r.counterexample else "")
        for r in failed)
    assert report.conforms, f"{name} on cuda does not conform:\n{details}"
    assert any(r.status == "pass" for r in report.results), "nothing ran on cuda"


def test_cli_runs_every_cuda_target_on_cuda(tmp_path):
    """``python -m conformance run --device cuda``: exit 0 and a report per CUDA target."""
    from conformance.targets import TargetError, load_target

    paths = []
    for path in _registered_targets().values():
        if _NO_CUPY and "cupy" in path:
            continue  # reported by test_target_conforms_on_cuda[cupy]
        try:
            if "cuda" in load_target(path).devices:
                paths.append(path)
        except TargetError:
            continue
    report_path = tmp_path / "cuda.json"
    command = [sys.executable, "-m", "conformance", "run", "--device", "cuda",
               "--profile", "quick", "--report", str(report_path)]
    for path in paths:
        command += ["--target", path]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"exit {done.returncode}:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    document = json.loads(report_path.read_text(encoding="utf-8"))
    assert sorted(t["target"] for t in document["targets"]) == sorted(paths)
    assert {t["device"] for t in document["targets"]} == {"cuda"}


# -- the reference on CuPy = the reference on NumPy ----------------------------------------------

def _outcome(function, *args, **kwargs):
    """The result as NumPy arrays, or the exception type: errors must agree too."""
    cupy = _cupy()
    try:
        result = function(*args, **kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:
        return type(exc)
    results = result if isinstance(result, tuple) else (result,)
    return tuple(cupy.asnumpy(r) if isinstance(r, cupy.ndarray) else np.asarray(r)
                 for r in results)


def without_float32_subnormals(array):
    """float32 subnormals replaced by zeros of their sign (a NumPy array, on the bits).

    CuPy compiles every kernel with -ftz=true appended, so its float32
    instructions (conversions and comparisons included) flush subnormals: the
    reference on CuPy can match the reference on NumPy only away from them.
    The kernel has no float32 instruction (tests/test_cuda_compile.py), and
    its subnormals are checked against NumPy (bfloat16 sweep, engine suite).
    """
    if array.dtype != np.float32:
        return array
    bits = np.ascontiguousarray(array).view(np.uint32)
    subnormal = (bits & np.uint32(0x7F800000)) == 0
    return np.where(subnormal, bits & np.uint32(0x80000000), bits).view(np.float32)


def _assert_references_agree(case, semantics, what):
    cupy = _cupy()
    case = strategies.Case(without_float32_subnormals(case.inputs),
                           without_float32_subnormals(case.amax), **case.kwargs)
    grad = np.ones(case.inputs.shape, dtype=case.inputs.dtype)
    on_gpu = (cupy.asarray(case.inputs), cupy.asarray(case.amax))
    for function, extra in ((reference.fake_tensor_quant, ()), (reference.tensor_quant, ()),
                            (reference.ste_gradient, (grad,))):
        cpu = _outcome(function, case.inputs, case.amax, *extra, **case.kwargs,
                       semantics=semantics)
        gpu = _outcome(function, *on_gpu, *(cupy.asarray(g) for g in extra), **case.kwargs,
                       semantics=semantics)
        name = f"{function.__name__} {what}"
        if isinstance(cpu, type) or isinstance(gpu, type):
            assert cpu == gpu, f"{name}: NumPy gave {cpu}, CuPy gave {gpu}"
            continue
        for expected, actual in zip(cpu, gpu, strict=True):
            mismatch = first_mismatch(expected, actual, name=name)
            assert mismatch is None, str(mismatch)


_SEMANTICS = [("article", reference.ARTICLE)] + [(n, combine([n])) for n in sorted(VARIATIONS)]


@needs_cupy
@given(case=st.sampled_from(GPU_DTYPES).flatmap(
           lambda d: st.one_of(strategies.cases(dtype=d), strategies.cases(per_channel=True,
                                                                          dtype=d))),
       semantics=st.sampled_from(_SEMANTICS))
def test_numpy_and_cupy_references_agree(case, semantics):
    name, chosen = semantics
    _assert_references_agree(case, chosen, f"[{name}]")


def _large_sample(dtype, rng, size=1 << 16):
    """Random magnitudes over many decades, .5 ties and their neighbours, non-finite values."""
    magnitudes = rng.standard_normal(size) * 10.0 ** rng.integers(-8, 6, size)
    ties = (rng.integers(-130, 130, size // 4) + 0.5) / 127.0
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 2.0**-24, 65504.0, 1e30]
    with np.errstate(over="ignore"):
        values = np.concatenate([magnitudes, ties, specials]).astype(dtype)
    bits = values.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[dtype.itemsize])
    neighbours = np.concatenate([bits[-len(specials) - size // 4:] + 1,
                                 bits[-len(specials) - size // 4:] - 1]).view(dtype)
    return np.concatenate([values, neighbours])


@needs_cupy
@pytest.mark.parametrize("dtype", GPU_DTYPES, ids=reference.dtype_name)
def test_references_agree_on_a_large_sample(dtype):
    rng = np.random.default_rng(5)
    inputs = _large_sample(dtype, rng)
    per_channel = inputs[: (inputs.size // 64) * 64].reshape(64, -1)
    channel_amax = reference.compute_amax(per_channel, axis=0)
    channel_amax[:4, 0] = [0.0, 2.0**-24, 1e-3, 1e5]
    for amax_dtype, (bits, unsigned, narrow) in itertools.product(GPU_DTYPES, CONFIGS):
        x = np.abs(inputs) if unsigned else inputs
        for amax in (np.asarray(1.0, dtype=amax_dtype), np.asarray(0.37, dtype=amax_dtype),
                     np.asarray(2.0**-24, dtype=amax_dtype)):
            case = strategies.Case(x, amax, bits, unsigned, narrow)
            _assert_references_agree(case, reference.ARTICLE, f"{dtype} amax {amax!r}")
        xc = np.abs(per_channel) if unsigned else per_channel
        case = strategies.Case(xc, channel_amax.astype(amax_dtype), bits, unsigned, narrow)
        _assert_references_agree(case, reference.ARTICLE, f"{dtype} per-channel {amax_dtype}")


@needs_cupy
def test_reference_refuses_bfloat16_on_cupy():
    cupy = _cupy()
    with pytest.raises(TypeError, match="bfloat16 is not available on CuPy"):
        reference.fake_tensor_quant(cupy.ones(3, dtype=cupy.float32),
                                    np.asarray(1.0, dtype=reference.BFLOAT16))


# -- the CuPy kernel = the CuPy reference, large sweeps ---------------------------------------

def _kernel_outputs(inputs, amax, bits, unsigned, narrow):
    """fake, codes, scale from the cupy target, as CuPy arrays (None: tensor_quant raised)."""
    from conformance.builtin import cupy_tensor_quant as target

    cupy, torch = _cupy(), _torch()
    x, a = torch.from_dlpack(inputs), torch.from_dlpack(amax)  # no copies
    fake = cupy.from_dlpack(target.fake_tensor_quant(x, a, bits, unsigned, narrow))
    try:
        codes, scale = target.tensor_quant(x, a, bits, unsigned, narrow)
    except ValueError:
        return fake, None, None
    return fake, cupy.from_dlpack(codes), cupy.from_dlpack(scale)


def _check_kernel_against_cupy_reference(inputs, amax, bits, unsigned, narrow, what):
    fake, codes, scale = _kernel_outputs(inputs, amax, bits, unsigned, narrow)
    assert_same_bits(reference.fake_tensor_quant(inputs, amax, bits, unsigned, narrow), fake,
                     f"fake {what}")
    try:
        expected_codes, expected_scale = reference.tensor_quant(inputs, amax, bits, unsigned,
                                                                narrow)
    except ValueError:
        assert codes is None, f"{what}: the reference raised ValueError, the kernel did not"
        return
    assert codes is not None, f"{what}: the kernel raised ValueError, the reference did not"
    assert_same_bits(expected_codes, codes, f"codes {what}")
    assert_same_bits(expected_scale, scale, f"scale {what}")


_AMAXES = (1.0, 0.37, 1e-3, 2.0**-24, 0.0, 3.0 * 2.0**-25, 65504.0, 1e5, np.inf, np.nan,
           127 / (1 + 2.0**-11 + 2.0**-40))


@needs_cupy
@pytest.mark.parametrize("amax_dtype", GPU_DTYPES, ids=reference.dtype_name)
def test_kernel_matches_cupy_reference_on_every_float16(amax_dtype):
    cupy = _cupy()
    every = cupy.arange(1 << 16, dtype=cupy.uint32).astype(cupy.uint16).view(cupy.float16)
    for value, (bits, unsigned, narrow) in itertools.product(_AMAXES, CONFIGS):
        x = cupy.abs(every) if unsigned else every
        amax = cupy.asarray(value, dtype=amax_dtype)
        _check_kernel_against_cupy_reference(x, amax, bits, unsigned, narrow,
                                             f"float16 amax={value!r} {bits} {unsigned} {narrow}")
    per_channel = every.reshape(256, 256)
    amax = cupy.max(cupy.abs(per_channel), axis=1, keepdims=True).astype(amax_dtype)
    _check_kernel_against_cupy_reference(per_channel, amax, 8, False, True, "float16 per-row")


@needs_cupy
@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64)],
                         ids=reference.dtype_name)
def test_kernel_matches_cupy_reference_on_random_floats(dtype):
    cupy = _cupy()
    rng = np.random.default_rng(7)
    sample = _large_sample(dtype, rng, size=1 << 22)
    random_bits = rng.integers(0, 1 << 32, 1 << 22, dtype=np.uint64).astype(np.uint32)
    # Made on the host: on CuPy the float32 -> float64 cast itself flushes subnormals.
    sample, random_bits = (cupy.asarray(without_float32_subnormals(a).astype(dtype))
                           for a in (sample, random_bits.view(np.float32)))
    for inputs in (sample, random_bits):
        for value, (bits, unsigned, narrow) in itertools.product(_AMAXES, CONFIGS[:4]):
            x = cupy.abs(inputs) if unsigned else inputs
            amax = cupy.asarray(value, dtype=dtype)
            _check_kernel_against_cupy_reference(x, amax, bits, unsigned, narrow,
                                                 f"{dtype} amax={value!r} {bits} {unsigned}")
    rows = sample[: (sample.size // 1024) * 1024].reshape(1024, -1)
    finite = cupy.where(cupy.isfinite(rows), rows, 0)
    amax = cupy.max(cupy.abs(finite), axis=1, keepdims=True)
    amax[:3, 0] = cupy.asarray([0.0, 2.0**-24, np.nan], dtype=dtype)
    _check_kernel_against_cupy_reference(rows, amax, 8, False, True, f"{dtype} per-row")
    _check_kernel_against_cupy_reference(rows.T, amax.T, 8, False, False,
                                         f"{dtype} transposed per-column")


@needs_cupy
@pytest.mark.parametrize("amax_dtype", [reference.BFLOAT16, np.dtype(np.float32)],
                         ids=reference.dtype_name)
def test_kernel_matches_numpy_reference_on_every_bfloat16(amax_dtype):
    from conformance.builtin import cupy_tensor_quant as target

    every = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(reference.BFLOAT16)
    x = to_torch(every, "cuda")
    for value, (bits, unsigned, narrow) in itertools.product(_AMAXES, CONFIGS[:4]):
        xs, xn = (x.abs(), np.abs(every)) if unsigned else (x, every)
        for amax in (np.asarray(value, dtype=np.float64).astype(amax_dtype),
                     np.full((256, 1), value, dtype=np.float64).astype(amax_dtype)):
            shape = (256, 256) if amax.ndim else (1 << 16,)
            what = f"bfloat16 amax={value!r} {amax.shape} {bits} {unsigned} {narrow}"
            expected = reference.fake_tensor_quant(xn.reshape(shape), amax, bits, unsigned, narrow)
            actual = to_numpy(target.fake_tensor_quant(xs.reshape(shape), to_torch(amax, "cuda"),
                                                       bits, unsigned, narrow))
            mismatch = first_mismatch(expected, actual, name="fake " + what)
            assert mismatch is None, str(mismatch)
            codes, scale = reference.tensor_quant(xn.reshape(shape), amax, bits, unsigned, narrow)
            got_codes, got_scale = target.tensor_quant(xs.reshape(shape), to_torch(amax, "cuda"),
                                                       bits, unsigned, narrow)
            for e, a, n in ((codes, got_codes, "codes"), (scale, got_scale, "scale")):
                mismatch = first_mismatch(e, to_numpy(a), name=f"{n} {what}")
                assert mismatch is None, str(mismatch)
