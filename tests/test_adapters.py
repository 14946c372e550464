"""Adapters for real kernels: skipped with a clear reason when missing, checked when present."""

import importlib
import sys

import pytest

from conformance.adapters import MissingExtra
from conformance.targets import TargetError, load_target

ADAPTERS = {
    "torch-native": ("conformance.adapters.torch_native", "torch", "cpu"),
    "modelopt": ("conformance.adapters.modelopt", "modelopt.torch.quantization.tensor_quant",
                 "modelopt"),
    "onnxruntime": ("conformance.adapters.onnxruntime", "onnxruntime", "onnx"),
    "onnx-reference": ("conformance.adapters.onnx_reference", "onnx.reference", "onnx"),
}


def _require(package):
    try:
        importlib.import_module(package)
    except ImportError:
        pytest.skip(f"{package} is not installed (pip install the matching extra)")


@pytest.mark.parametrize("name", ["modelopt", "onnxruntime", "onnx-reference"])
def test_missing_package_names_the_extra(name, monkeypatch):
    module, package, extra = ADAPTERS[name]
    monkeypatch.setitem(sys.modules, package.split(".")[0], None)  # import now fails
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(TargetError) as info:
        load_target(name)
    message = str(info.value)
    assert f"pip install 'tensor-quant-conformance[{extra}]'" in message
    assert isinstance(info.value.__cause__, MissingExtra)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_adapter_loads_with_declared_variations(name):
    _require(ADAPTERS[name][1])
    target = load_target(name)
    import reference.variations

    reference.variations.combine(target.variations)  # all known, none contradicting
    assert target.expectations and target.expectations.endswith(".toml")
    from conformance.expectations import load_expectations

    load_expectations(target.expectations)


def _run(name, strict, properties, profile="quick"):
    from conformance.runner import run_target

    return run_target(load_target(name), profile=profile, strict=strict, properties=properties)


def test_torch_native_fails_strict_and_passes_with_its_variations():
    props = ["fake_per_tensor", "ste_gradient"]
    # Its STE deviation (a mask on the rounded code) shows only at the clamp edge: the ci
    # profile's draws reach it, quick's 60 examples do not.
    strict = _run("torch-native", True, props, profile="ci")
    assert {r.status for r in strict.results} == {"fail"}
    declared = _run("torch-native", False, props)
    assert [r.status for r in declared.results] == ["pass", "pass"], declared.results
    assert declared.conforms


@pytest.mark.parametrize("name", ["modelopt", "onnxruntime", "onnx-reference"])
def test_real_adapters_pass_with_their_variations(name):
    _require(ADAPTERS[name][1])
    report = _run(name, False, ["fake_per_tensor", "fake_per_channel"])
    assert report.conforms, [(r.property, r.status, r.reason) for r in report.results]


def test_onnx_adapters_reject_widths_onnx_cannot_hold():
    _require("onnx")
    import torch

    from conformance.adapters import Unsupported

    target = load_target("onnx-reference")
    with pytest.raises(Unsupported, match="7-bit"):
        target.fake_tensor_quant(torch.ones(2), torch.tensor(1.0), 7, False, True)


def test_expected_failure_is_xfail_and_a_stale_one_is_xpass():
    from conformance.runner import run_target

    props = ["fake_per_tensor"]
    expected = run_target(load_target("tests.targets.variations.expects_rounding"),
                          profile="quick", properties=props)
    assert [r.status for r in expected.results] == ["xfail"] and expected.conforms
    stale = run_target(load_target("tests.targets.variations.expects_but_conforms"),
                       profile="quick", properties=props)
    assert [r.status for r in stale.results] == ["xpass"] and not stale.conforms
    strict = run_target(load_target("tests.targets.variations.expects_rounding"),
                        profile="quick", properties=props, strict=True)
    assert [r.status for r in strict.results] == ["fail"]  # --strict ignores expectations


def test_expectations_file_errors_name_the_fix(tmp_path):
    from conformance.errors import UsageError
    from conformance.expectations import load_expectations

    path = tmp_path / "e.toml"
    path.write_text('[no_such_property]\nreason = "x"\n')
    with pytest.raises(UsageError, match="unknown property 'no_such_property'"):
        load_expectations(path)
    path.write_text('[errors]\nevidence = "x"\n')
    with pytest.raises(UsageError, match="needs reason"):
        load_expectations(path)
    path.write_text('[errors]\nreason = "x"\ndevices = ["tpu"]\n')
    with pytest.raises(UsageError, match="devices must be"):
        load_expectations(path)
    path.write_text('[errors]\nreason = "x"\ndevices = ["cuda"]\n')
    assert list(load_expectations(path, "cpu")) == [] and list(load_expectations(path, "cuda"))
    with pytest.raises(UsageError, match="does not exist"):
        load_expectations(tmp_path / "missing.toml")


# --- SPEC section 6 on the real kernels (fake_affine_tensor_quant, scaled_e4m3) ---------

SECTION6 = ["affine_values", "affine_gradient", "e4m3_values", "e4m3_gradient"]
#: What each adapter really has, and which of SECTION6 it breaks under the article alone.
SECTION6_PATHS = {
    "torch-native": ({"fake_affine_tensor_quant", "scaled_e4m3"},
                     {"affine_values", "affine_gradient"}),
    "onnxruntime": ({"fake_affine_tensor_quant", "scaled_e4m3"}, set(SECTION6)),
    "onnx-reference": ({"fake_affine_tensor_quant", "scaled_e4m3"}, set(SECTION6)),
    "modelopt": ({"scaled_e4m3"}, {"e4m3_values", "e4m3_gradient"}),
}


@pytest.mark.parametrize("name", sorted(SECTION6_PATHS))
def test_section6_paths_pass_declared_and_fail_strict_where_they_deviate(name):
    _require(ADAPTERS[name][1])
    exposes, deviates = SECTION6_PATHS[name]
    target = load_target(name)
    assert {"fake_affine_tensor_quant", "scaled_e4m3"} & target.exposes == exposes
    declared = _run(name, False, SECTION6)
    status = {r.property: r.status for r in declared.results}
    assert declared.conforms, [(r.property, r.status, r.reason) for r in declared.results]
    for prop in SECTION6:
        applies = prop.startswith("affine") == ("fake_affine_tensor_quant" in exposes) \
            or prop.startswith("e4m3")
        want = "xfail" if prop in deviates else ("pass" if applies else "skip")
        assert status[prop] == want, (prop, status[prop], declared.results)
    strict = _run(name, True, SECTION6)
    failed = {r.property for r in strict.results if r.status == "fail"}
    assert failed == deviates, strict.results


def _t(values, dtype="float32"):
    import torch

    return torch.tensor(values, dtype=getattr(torch, dtype))


def test_torch_float8_cast_saturates():
    """torch_native.scaled_e4m3 relies on it: torch 2.13's CPU cast saturates to +-448
    (ml_dtypes' does not: 464 and up, and inf, become NaN)."""
    import torch

    cast = _t([464.0, 1e4, float("inf"), -float("inf")]).to(torch.float8_e4m3fn).float()
    assert cast.tolist() == [448.0, 448.0, 448.0, -448.0]


def test_torch_native_affine_deviations_are_the_declared_ones():
    """The expectations file's evidence, replayed: a tie of x / step taken the other way
    (multiply by the reciprocal), and NaN mapped to the lower bound."""
    target = load_target("torch-native")
    got = target.fake_affine_tensor_quant(_t([-61.70189]), _t(-63.6998), _t(26.985973), 8)
    assert got.tolist() == [-61.52407455444336]
    nan = target.fake_affine_tensor_quant(_t([float("nan")]), _t(-0.5), _t(1.0), 8)
    assert nan.tolist() == [-0.5]  # the lower bound; the article gives NaN
    import numpy as np

    import reference

    article = reference.fake_affine_tensor_quant(np.float32([-61.70189]), np.float32(-63.6998),
                                                 np.float32(26.985973), 8)
    assert article.tolist() == [-61.879703521728516]


@pytest.mark.parametrize("name", ["onnxruntime", "onnx-reference"])
def test_onnx_float8_qdq_converts_every_16_bit_input_as_the_article(name):
    """Without amax the float8 Q/DQ is the article's e4m3 exactly (zero mask included): the
    e4m3_values deviation is the scaling alone (x / fp32(amax / 448), then * that scale)."""
    _require(ADAPTERS[name][1])
    import numpy as np
    import torch

    import reference

    target = load_target(name)
    for dtype in (torch.float16, torch.bfloat16):
        bits = torch.arange(-(2**15), 2**15, dtype=torch.int32).to(torch.int16)
        x = bits.view(dtype)
        got = target.scaled_e4m3(x).view(torch.int16).numpy()
        want = reference.scaled_e4m3(x.float().numpy()).astype(np.float32)
        want = torch.from_numpy(want).to(dtype).view(torch.int16).numpy()
        nan = x.isnan().numpy()
        np.testing.assert_array_equal(got[~nan], want[~nan])
        assert target.scaled_e4m3(x)[torch.from_numpy(nan)].isnan().all()
    assert target.scaled_e4m3(_t([-3.0]), _t(3.0)).tolist() == [-3.0]  # article -2.9999998


@pytest.mark.parametrize("name", ["onnxruntime", "onnx-reference"])
def test_onnx_affine_uses_a_zero_point_and_says_what_it_cannot_express(name):
    _require(ADAPTERS[name][1])
    from conformance.adapters import Unsupported

    target = load_target(name)
    # A tie of x / step: Q/DQ divides as the article does, with the zero point 33.
    got = target.fake_affine_tensor_quant(_t([-61.70189]), _t(-63.6998), _t(26.985973), 8)
    assert got.tolist() == [-61.879703521728516]
    with pytest.raises(Unsupported, match="zero point"):  # -183 is not an int8
        target.fake_affine_tensor_quant(_t([0.5]), _t(0.3), _t(1.7), 8)
    with pytest.raises(Unsupported, match="7-bit"):
        target.fake_affine_tensor_quant(_t([0.5]), _t(-0.5), _t(1.0), 7)


def test_modelopt_scaled_e4m3_runs_on_cpu_without_the_zero_mask():
    _require("modelopt.torch.quantization.tensor_quant")
    target = load_target("modelopt")
    assert "fake_affine_tensor_quant" not in target.exposes  # its "affine" is a bias
    out = target.scaled_e4m3(_t([-0.0, -(2.0**-25), 500.0]))
    assert [str(v) for v in out.tolist()] == ["-0.0", "-0.0", "448.0"]  # article: +0.0, +0.0
