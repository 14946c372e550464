"""Every property can fail: a tiny broken target per property, each caught by its property."""

import subprocess
import sys

import pytest

from conformance.properties import PROPERTIES
from conformance.runner import run_target
from conformance.targets import load_target

CONTRACT = ("fake_per_tensor", "fake_per_channel", "quant_per_tensor", "quant_per_channel",
            "errors", "ste_gradient", "amax_no_gradient", "inputs_unmodified",
            "strided_inputs", "degenerate_shapes", "output_device", "deterministic",
            "descriptor_rules", "descriptor_storage", "golden_vectors", "strided_gradient",
            "autograd_state", "argument_forms", "result_lifetime", "process_state",
            # SPEC section 6
            "legacy_fake", "affine_values", "affine_gradient", "e4m3_values", "e4m3_gradient",
            "descriptor_serialization")

#: property -> the test target (tests/targets/<name>.py) whose one bug it must catch.
BROKEN = {
    "fake_per_tensor": "round_half_away",
    "fake_per_channel": "wrong_axis",
    "quant_per_tensor": "scale_float32",
    "quant_per_channel": "wrong_axis",
    "errors": "no_unsigned_check",
    "ste_gradient": "ste_strict",
    "amax_no_gradient": "amax_grad",
    "inputs_unmodified": "writes_inputs",
    "strided_inputs": "assumes_contiguous",
    "degenerate_shapes": "flattens",
    "output_device": "wrong_device",
    "deterministic": "nondeterministic",
    "descriptor_rules": "descriptor_int64",
    "golden_vectors": "full_range",
    "legacy_fake": "legacy_strict_ste",
    "affine_values": "affine_half_away",
    "affine_gradient": "affine_range_grad",
    "e4m3_values": "e4m3_mask_inclusive",
    "e4m3_gradient": "e4m3_amax_grad",
    "descriptor_serialization": "descriptor_eq_identity",
    # The observable contract beyond values (SPEC 7): zoo members, named by module path.
    "descriptor_storage": "tests.zoo.desc_amax_by_reference",
    "strided_gradient": "tests.zoo.grad_read_contiguous",
    "autograd_state": "tests.zoo.scale_detached",
    "argument_forms": "tests.zoo.default_full_range",
    "result_lifetime": "tests.zoo.output_buffer_reused",
    "process_state": "tests.zoo.sets_default_dtype",
}


def _run(module, names, profile="ci", **kwargs):
    path = module if module.startswith("tests.") else f"tests.targets.engine.{module}"
    return run_target(load_target(path), profile=profile, properties=names, **kwargs)


def test_registry_holds_the_contract_names_with_rules():
    assert tuple(PROPERTIES) == CONTRACT
    for prop in PROPERTIES.values():
        assert prop.rule and "\n" not in prop.rule
        assert prop.requires <= {"fake_tensor_quant", "tensor_quant", "descriptor",
                                 "legacy_fake_tensor_quant", "fake_affine_tensor_quant",
                                 "scaled_e4m3", "descriptor_serialization"}


def test_every_property_has_a_broken_target():
    assert set(BROKEN) == set(PROPERTIES)


@pytest.mark.parametrize("name", CONTRACT)
def test_property_catches_its_broken_target(name):
    result = _run(BROKEN[name], [name]).results[0]
    assert result.status == "fail", (result.status, result.reason)
    assert result.counterexample is not None and result.counterexample.rule == PROPERTIES[name].rule
    assert "target." in result.counterexample.reproduction


def test_a_correct_target_passes_every_property():
    report = _run("correct", None, profile="quick")
    assert report.conforms, [(r.property, r.reason) for r in report.results if r.status != "pass"]
    assert {r.status for r in report.results} == {"pass"}


def test_the_reproduction_runs_and_shows_the_bug():
    result = _run("ste_strict", ["ste_gradient"]).results[0]
    script = result.counterexample.reproduction
    assert "h('" in script and ".requires_grad_()" in script and "# expected:" in script
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert done.returncode == 0, done.stderr
    assert "tensor(" in done.stdout


def test_junk_results_fail_with_a_message_saying_so():
    report = _run("junk", ["fake_per_tensor", "quant_per_tensor"], profile="quick")
    fake, quant = report.results
    assert fake.status == "fail" and "should return a torch.Tensor" in fake.reason
    assert quant.status == "fail" and "should return a pair (outputs, scale)" in quant.reason


def test_an_unexpected_exception_fails_the_property():
    result = _run("raises", ["fake_per_tensor"], profile="quick").results[0]
    assert result.status == "fail"
    assert "raised RuntimeError unexpectedly" in result.reason


def test_a_target_that_supports_nothing_does_not_pass():
    result = _run("not_implemented", ["fake_per_tensor"], profile="quick").results[0]
    assert result.status == "error" and "NotImplementedError" in result.reason


def test_declared_variations_pass_unless_strict():
    names = ["fake_per_channel", "quant_per_channel"]
    assert _run("declares_half_away", names).conforms
    strict = _run("declares_half_away", names, strict=True)
    assert not strict.conforms


#: Extra bug classes, each caught by the property named (no property of its own).
EXTRA = {"returns_inputs": "inputs_unmodified", "amax_check_first": "errors",
         "thread_dependent": "deterministic"}


@pytest.mark.parametrize("module", sorted(EXTRA))
def test_extra_bug_classes_are_caught(module):
    result = _run(module, [EXTRA[module]]).results[0]
    assert result.status == "fail", (result.status, result.reason)


def test_the_printed_reproduction_pastes_at_any_console_width():
    import contextlib
    import io

    from rich.console import Console

    import reference
    from conformance.compare import bits_equal
    from conformance.convert import to_numpy
    from conformance.verdicts import print_summary

    report = _run("round_half_away", ["fake_per_tensor"])
    out = io.StringIO()
    print_summary([report], Console(file=out, width=40, force_terminal=False))
    text = out.getvalue().split("Reproduction (paste into Python):\n", 1)[1]
    code = compile(text, "<repro>", "exec")  # a wrapped comment line would be a syntax error
    namespace, printed = {}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, namespace)
    assert "tensor(" in printed.getvalue()
    case = report.results[0].counterexample.case
    expected = reference.fake_tensor_quant(case.inputs, case.amax, case.num_bits,
                                           case.unsigned, case.narrow_range)
    assert not bits_equal(expected, to_numpy(namespace["result"]))


#: The properties of the call's observable contract beyond values (SPEC 7).
CONTRACT_BEYOND_VALUES = ("strided_inputs", "strided_gradient", "autograd_state",
                          "argument_forms", "result_lifetime", "process_state",
                          "descriptor_storage")


@pytest.mark.parametrize("name", CONTRACT_BEYOND_VALUES)
def test_the_reproduction_of_a_contract_failure_runs(name):
    module = BROKEN.get(name, "tests.zoo.inputs_storage_offset_ignored")
    result = _run(module, [name], profile="quick").results[0]
    assert result.status == "fail", (result.status, result.reason)
    done = subprocess.run([sys.executable, "-c", result.counterexample.reproduction],
                          capture_output=True, text=True, timeout=120,
                          cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert done.returncode == 0, done.stderr


def test_layout_sources_build_the_views_the_checks_use():
    import math

    import torch

    from conformance.properties.layouts import BROADCAST, LAYOUTS

    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2)
    cases = [(layout, p) for layout in LAYOUTS.values() for p in layout.params(base.shape)]
    cases.append((BROADCAST, (3, 2, 3, 2, 2)))
    for layout, param in cases:
        view = layout.view(base, param)
        namespace = {"torch": torch, "amax": base, "t": base}
        name = "amax" if layout is BROADCAST else "t"
        exec(layout.source(name, param), namespace)
        made = namespace[name]
        assert (made.shape, made.stride(), made.storage_offset()) == \
            (view.shape, view.stride(), view.storage_offset()), layout.name
        assert torch.equal(made.nan_to_num(math.pi), view.nan_to_num(math.pi)), layout.name
        assert not view.is_contiguous() or view.storage_offset(), layout.name


def test_argument_forms_are_the_ones_the_article_accepts_with_its_defaults():
    from conformance.properties.arguments import DEFAULTS, FORMS

    assert DEFAULTS == {"num_bits": 8, "unsigned": False, "narrow_range": True}
    assert len(FORMS) == 18 and (2, 2) in FORMS and (0, 5) in FORMS and (5, 5) in FORMS
    assert all(2 <= q <= 5 and 0 <= p <= q for p, q in FORMS)
