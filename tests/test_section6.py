"""The engine on SPEC section 6: targets that expose it, lack it, or get it wrong.

The per-property proof (each new property catches its broken engine target)
is in test_properties.py and the zoo's in test_zoo.py; here: the upstream
names pass, a missing function is a skip with the reason, reproductions run
and show the bug, exported failures replay, NotImplementedError is handled
where it is required and where it is not, and the section 6 vectors replay.
"""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest
import torch

import vectors
from conformance.properties import PROPERTIES
from conformance.runner import run_target
from conformance.targets import Target, load_target

SECTION6 = ("legacy_fake", "affine_values", "affine_gradient", "e4m3_values", "e4m3_gradient",
            "descriptor_serialization")
ROOT = __import__("pathlib").Path(__file__).parents[1]


def _run(spec, names, profile="ci"):
    target = spec if isinstance(spec, Target) else load_target(spec)
    return run_target(target, profile=profile, properties=names)


def _statuses(report):
    return {r.property: (r.status, r.reason) for r in report.results}


def test_a_module_reexporting_upstream_names_passes_every_new_property():
    report = _run("tests.targets.engine.upstream_names", [*SECTION6, "golden_vectors"])
    assert report.conforms and {r.status for r in report.results} == {"pass"}, \
        _statuses(report)


def test_the_torch_target_exposes_every_section6_name():
    assert {"legacy_fake_tensor_quant", "fake_affine_tensor_quant", "scaled_e4m3",
            "descriptor_serialization"} <= load_target("torch").exposes


def test_a_target_lacking_the_functions_skips_them_with_the_reason():
    report = _run("tests.targets.engine.fake_only", list(SECTION6))
    for prop, (status, reason) in _statuses(report).items():
        assert status == "skip", (prop, status, reason)
        assert reason.startswith("target exposes no "), reason
    assert "fake_affine_tensor_quant" in _statuses(report)["affine_values"][1]
    assert "descriptor_serialization" in _statuses(report)["descriptor_serialization"][1]


def test_a_descriptor_without_the_methods_skips_serialization():
    """The zoo's base descriptor has the SPEC 1 rules only."""
    report = _run("tests.zoo.always_narrow", ["descriptor_serialization"])
    assert report.results[0].status == "skip"


def _module(name, **functions):
    """A throwaway target module registered in sys.modules (so reproductions import it)."""
    from tests.targets._kernel import QuantDescriptor, make

    module = types.ModuleType(name)
    module.fake_tensor_quant, module.tensor_quant = make()
    module.QuantDescriptor = QuantDescriptor
    for key, value in functions.items():
        setattr(module, key, value)
    sys.modules[name] = module
    return name


@pytest.mark.parametrize("engine_target,prop", [
    ("affine_half_away", "affine_values"), ("e4m3_mask_inclusive", "e4m3_values"),
    ("legacy_strict_ste", "legacy_fake"), ("affine_range_grad", "affine_gradient")])
def test_the_reproduction_runs_and_shows_the_bug(engine_target, prop):
    result = _run(f"tests.targets.engine.{engine_target}", [prop]).results[0]
    assert result.status == "fail"
    script = result.counterexample.reproduction
    assert "# Rule broken:" in script and "target." in script
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=str(ROOT))
    assert done.returncode == 0, done.stderr
    assert "tensor(" in done.stdout


def test_a_failure_on_every_16_bit_input_is_narrowed_to_one_element():
    """The exhaustive call has 65,536 inputs; the reproduction shows one."""
    result = _run("tests.zoo.e4m3_no_saturation", ["e4m3_values"]).results[0]
    assert result.status == "fail" and "1 of 1 elements differ" in result.reason
    assert result.counterexample.reproduction.count("h(") <= 4


def test_exported_failures_replay(tmp_path):
    from conformance.repro import write_vectors

    report = _run("tests.targets.engine.affine_half_away", ["affine_values"])
    paths = write_vectors([report], tmp_path)
    assert paths
    (case,) = vectors.load_all(tmp_path)
    assert case.function == "fake_affine_tensor_quant"
    for spec, code in (("tests.targets.engine.affine_half_away", 1), ("torch", 0)):
        done = subprocess.run([sys.executable, "-m", "conformance", "replay", str(tmp_path),
                               "--target", spec], capture_output=True, text=True, timeout=300,
                              cwd=str(ROOT))
        assert done.returncode == code, done.stdout + done.stderr


def test_not_implemented_for_other_formats_is_required():
    """scaled_e4m3(E=5) must raise NotImplementedError; a target that accepts it fails."""
    from conformance.builtin import torch_tensor_quant as impl

    def accepts_any_format(inputs, amax=None, E=4, M=3):
        return impl.scaled_e4m3(inputs, amax)

    name = _module("_section6_accepts_e5m2", scaled_e4m3=accepts_any_format)
    result = _run(name, ["e4m3_values"]).results[0]
    assert result.status == "fail" and "should raise NotImplementedError" in result.reason


def test_a_target_that_supports_nothing_does_not_pass():
    def unsupported(*args, **kwargs):
        raise NotImplementedError("not here")

    name = _module("_section6_unsupported", scaled_e4m3=unsupported,
                   fake_affine_tensor_quant=unsupported)
    statuses = _statuses(_run(name, ["affine_values", "e4m3_values"], profile="quick"))
    assert statuses["affine_values"][0] in ("error", "skip")
    # E != 4 must raise NotImplementedError, every other call must not: nothing passes.
    assert statuses["e4m3_values"][0] in ("error", "skip", "fail")
    assert all(status != "pass" for status, _ in statuses.values())


def test_equality_that_does_not_raise_on_multi_element_amax_is_caught():
    from tests.zoo._section6 import Section6Descriptor

    class Lenient(Section6Descriptor):
        def __eq__(self, rhs):  # np.array_equal: never ambiguous, unlike upstream
            mine, theirs = vars(self), vars(rhs)
            return mine.keys() == theirs.keys() and all(
                np.array_equal(mine[k], theirs[k]) if isinstance(mine[k], np.ndarray)
                else mine[k] == theirs[k] for k in mine)
        __hash__ = None

    name = _module("_section6_lenient_eq", QuantDescriptor=Lenient)
    result = _run(name, ["descriptor_serialization"]).results[0]
    assert result.status == "fail" and "ValueError" in result.reason, result.reason


def test_str_without_full_range_is_caught():
    from tests.zoo._section6 import Section6Descriptor

    class Honest(Section6Descriptor):
        def __str__(self):  # "full_range" only when the range is full: not upstream's text
            return super().__str__().replace(" full_range", "")

    name = _module("_section6_honest_str", QuantDescriptor=Honest)
    result = _run(name, ["descriptor_serialization"]).results[0]
    assert result.status == "fail" and "str(d)" in result.reason, result.reason


@pytest.mark.parametrize("function", ["fake_affine_tensor_quant", "scaled_e4m3",
                                      "legacy_fake_tensor_quant"])
def test_a_forward_that_differs_when_inputs_require_grad_is_caught(function):
    """SPEC 3's rule holds for section 6 too: training mode computes the inference bits."""
    from conformance.builtin import torch_tensor_quant as impl

    correct = getattr(impl, function)

    def drifts(inputs, *args):
        out = correct(inputs, *args)
        if inputs.requires_grad:  # a detach-style path that rounds differently
            return out + out.detach().abs() * 2**-20
        return out

    name = _module(f"_section6_drifts_{function}", **{function: drifts})
    prop = {"fake_affine_tensor_quant": "affine_values", "scaled_e4m3": "e4m3_values",
            "legacy_fake_tensor_quant": "legacy_fake"}[function]
    result = _run(name, [prop]).results[0]
    assert result.status == "fail", (result.status, result.reason)


def test_section6_vectors_cover_every_new_function():
    functions = {c.function for c in vectors.load_all()}
    assert set(vectors.io.SECTION6_FUNCTIONS) <= functions


def test_section6_vectors_round_trip_through_the_format(tmp_path):
    cases = [c for c in vectors.load_all() if c.function in vectors.io.SECTION6_FUNCTIONS]
    vectors.write_cases(cases, tmp_path)
    assert vectors.io.render(vectors.load_all(tmp_path)) == vectors.io.render(cases)


def test_golden_replay_catches_a_section6_vector():
    """The golden_vectors property replays section 6 cases too (here: the saturation case)."""
    report = _run("tests.zoo.e4m3_no_saturation", ["golden_vectors"])
    result = report.results[0]
    assert result.status == "fail" and "vector e4m3_" in result.reason, result.reason


def test_descriptor_methods_vector_pins_the_spec_example():
    (case,) = [c for c in vectors.load_all() if c.id == "descriptor_methods_01"]
    methods = case.expected.methods
    assert methods["to_yaml"]["returns"] == \
        "amax:\n- 1.0\n- 2.0\naxis:\n- 0\nname: w\nnum_bits: 4\nunsigned: true\n"
    assert methods["equals_round_trip"] == {"raises": "ValueError"}
    assert methods["str"]["returns"] == "w: (unsigned 4bit fake axis=(0,) amax=[1. 2.] full_range)"
    assert methods["hash"] == {"raises": "TypeError"}


def test_affine_spec_example_vector_by_hand():
    (case,) = [c for c in vectors.load_all() if c.id == "affine_spec_example"]
    np.testing.assert_allclose(case.expected.outputs, [-0.5, -0.3, 0.0, 0.2, 0.5118, 1.0],
                               atol=1e-4)
    (grad,) = [c for c in vectors.load_all() if c.id == "affine_spec_example_grad"]
    assert grad.expected.grad.tolist() == [0, 1, 1, 1, 1, 0]


def test_every_section6_property_is_registered_with_its_requirement():
    for name in SECTION6:
        assert name in PROPERTIES
    assert PROPERTIES["affine_values"].requires == {"fake_affine_tensor_quant"}
    assert PROPERTIES["e4m3_gradient"].requires == {"scaled_e4m3"}
    assert PROPERTIES["legacy_fake"].requires == {"legacy_fake_tensor_quant"}


def test_torch_target_matches_the_reference_on_every_16_bit_e4m3_input():
    """Direct check of the built-in target (outside the engine), all amax of the property."""
    from conformance.builtin import torch_tensor_quant as impl
    from conformance.compare import first_mismatch
    from conformance.convert import to_numpy, to_torch
    from conformance.strategies.fp8 import exhaustive_calls

    for call in exhaustive_calls():
        amax = call.inputs.get("amax")
        got = impl.scaled_e4m3(to_torch(call.inputs["inputs"]),
                               None if amax is None else to_torch(amax))
        mismatch = first_mismatch(call.expected().outputs, to_numpy(got))
        assert mismatch is None, str(mismatch)
    assert torch.float8_e4m3fn  # the cast the target relies on exists in this torch
