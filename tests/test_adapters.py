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
    # profile's draws reach it, quick's 40 examples do not.
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
