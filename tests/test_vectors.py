"""Golden vectors: the reference and the PyTorch implementation against every case.

Also: the files are exactly what ``python -m vectors`` writes, regeneration is
byte-identical, and the article's published values hold (checked by hand,
not through the reference).
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys

import numpy as np
import pytest

import reference
import vectors
from conformance.compare import first_mismatch
from reference.variations import VARIATIONS, combine
from vectors.cases import (
    ARTICLE_CODES,
    ARTICLE_FAKE_4DP,
    ARTICLE_SCALE,
    ARTICLE_X_BITS,
    all_cases,
)
from vectors.expect import DESCRIPTOR_ATTRIBUTES

CASES = vectors.load_all()
BY_ID = {case.id: case for case in CASES}
#: SPEC sections 1-3; section 6's cases are replayed in tests/test_section6_vectors.py.
ARTICLE_CASES = [c for c in CASES if c.function not in vectors.io.SECTION6_FUNCTIONS]
QUANT_ARGS = ("num_bits", "unsigned", "narrow_range")


def _positional(case):
    """The article's positional arguments after (inputs, amax), defaults left out."""
    return tuple(case.arguments[k] for k in QUANT_ARGS if k in case.arguments)


def _assert_arrays(expected, actual, name):
    mismatch = first_mismatch(expected, np.asarray(actual), name=name)
    assert mismatch is None, str(mismatch)


def _assert_value(expected, actual, name):
    """Descriptor attributes: same type and value; arrays bit-exact."""
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), f"{name} should be an ndarray, got {actual!r}"
        _assert_arrays(expected, actual, name)
        return
    assert type(actual) is type(expected) and actual == expected, (
        f"{name}={actual!r} ({type(actual).__name__}), but should be {expected!r} "
        f"({type(expected).__name__})")


def check_result(case, call):
    """Run ``call()`` and compare what it returns or raises with ``case.expected``."""
    e = case.expected
    if e.raises is not None:
        with pytest.raises(Exception) as info, np.errstate(all="ignore"):
            call()
        assert type(info.value).__name__ == e.raises, (
            f"raised {type(info.value).__name__}({info.value}), but should raise {e.raises}")
        if e.match is not None:
            assert e.match in str(info.value)
        return
    with np.errstate(all="ignore"):  # fp16 overflow to inf is part of the semantics
        result = call()
    if case.function == "tensor_quant":
        outputs, scale = result
        _assert_arrays(e.outputs, outputs, "outputs")
        _assert_arrays(e.scale, scale, "scale")
    elif case.function == "fake_tensor_quant":
        _assert_arrays(e.outputs, result, "outputs")
    elif case.function == "ste_gradient":
        _assert_arrays(e.grad, result, "grad")
    else:
        descriptor, logged_error = result
        for name in DESCRIPTOR_ATTRIBUTES:
            _assert_value(e.attributes[name], getattr(descriptor, name), name)
        assert logged_error == e.logs_error


def _descriptor_call(case, module):
    def call():
        records = []
        handler = logging.Handler(logging.ERROR)
        handler.emit = records.append
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            if case.function == "predefined_descriptor":
                return getattr(module, case.arguments["name"]), False
            return module.QuantDescriptor(**case.arguments), bool(records)
        finally:
            root.removeHandler(handler)
    return call


def reference_call(case):
    i = case.inputs
    if case.function in ("descriptor", "predefined_descriptor"):
        return _descriptor_call(case, reference)
    if case.function == "ste_gradient":
        return lambda: reference.ste_gradient(i["inputs"], i["amax"], i["grad_output"],
                                              *_positional(case))
    function = getattr(reference, case.function)
    return lambda: function(i["inputs"], i["amax"], *_positional(case))


def torch_call(case):
    """The built-in PyTorch implementation on CPU, results back as exact NumPy arrays."""
    from conformance.builtin import torch_tensor_quant as impl
    from conformance.convert import to_numpy, to_torch

    i = case.inputs
    if case.function in ("descriptor", "predefined_descriptor"):
        return _descriptor_call(case, impl)
    if case.function == "ste_gradient":
        def gradient():
            x = to_torch(i["inputs"], requires_grad=True)
            amax = to_torch(i["amax"], requires_grad=True)
            function = getattr(impl, case.arguments.get("backward_of", "fake_tensor_quant"))
            out = function(x, amax, *_positional(case))
            out = out[0] if isinstance(out, tuple) else out
            out.backward(to_torch(i["grad_output"]))
            assert amax.grad is None, "amax must get no gradient"
            return to_numpy(x.grad)
        return gradient

    def forward():
        out = getattr(impl, case.function)(to_torch(i["inputs"]), to_torch(i["amax"]),
                                           *_positional(case))
        if isinstance(out, tuple):
            return tuple(to_numpy(t) for t in out)
        return to_numpy(out)
    return forward


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=[c.id for c in ARTICLE_CASES])
def test_reference_matches_vector(case):
    check_result(case, reference_call(case))


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=[c.id for c in ARTICLE_CASES])
def test_torch_matches_vector(case):
    pytest.importorskip("torch")
    check_result(case, torch_call(case))


def _agrees(stored, recomputed) -> bool:
    if stored.raises != recomputed.raises:
        return False
    for name in ("outputs", "scale", "grad"):
        a, b = getattr(stored, name), getattr(recomputed, name)
        if (a is None) != (b is None) or (a is not None and first_mismatch(a, b) is not None):
            return False
    return True


@pytest.mark.parametrize("variation", sorted(VARIATIONS))
def test_vectors_catch_every_known_variation(variation):
    """Each documented deviation (a deliberately broken kernel) fails at least one vector."""
    semantics = combine([variation])
    caught = []
    with np.errstate(all="ignore"):
        for case in CASES:
            if case.function in ("tensor_quant", "fake_tensor_quant", "ste_gradient"):
                recomputed = vectors.expected(case.function, case.inputs, case.arguments,
                                              semantics)
                if not _agrees(case.expected, recomputed):
                    caught.append(case.id)
    assert caught, f"no vector tells {variation!r} from the article: add one to vectors/cases.py"


def test_files_are_what_the_code_writes(tmp_path):
    """Regenerating into a fresh folder gives byte-identical files (no stale vectors)."""
    subprocess.run([sys.executable, "-m", "vectors", "--out", str(tmp_path)], check=True,
                   capture_output=True)
    written = {p.name: p.read_bytes() for p in tmp_path.glob("*.json")}
    shipped = {p.name: p.read_bytes() for p in vectors.DATA_DIR.glob("*.json")}
    assert sorted(written) == sorted(shipped)
    stale = [name for name in written if written[name] != shipped[name]]
    assert not stale, f"run `python -m vectors`: {stale} differ from the code's output"


def test_generation_is_deterministic(tmp_path):
    first = vectors.io.render(all_cases())
    second = vectors.io.render(all_cases())
    assert first == second


def test_check_flag_reports_stale_files(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "vectors", "--check"], capture_output=True)
    assert ok.returncode == 0, ok.stderr.decode()
    vectors.write_cases(CASES[:3], tmp_path)
    stale = subprocess.run([sys.executable, "-m", "vectors", "--check", "--out", str(tmp_path)],
                           capture_output=True, text=True)
    assert stale.returncode == 1
    assert "stale" in stale.stderr


def test_writing_never_deletes_or_overwrites_files_it_did_not_write(tmp_path, capsys):
    # Issue 9 item 7: `python -m vectors --out DIR` deleted every *.json it did not write.
    from vectors.__main__ import main

    mine = tmp_path / "notes.json"
    mine.write_text('{"my": "data"}')
    other = tmp_path / "readme.txt"
    other.write_text("keep me")
    old_topic = tmp_path / "old_topic.json"
    vectors.write_cases([dataclasses.replace(CASES[0], topic="old_topic")], tmp_path)
    before = old_topic.read_bytes()
    assert main(["--out", str(tmp_path)]) == 0
    assert mine.read_text() == '{"my": "data"}' and other.read_text() == "keep me"
    assert old_topic.read_bytes() == before  # ours, but not written by this run: named only
    assert "left alone" in capsys.readouterr().err
    assert (tmp_path / "article.json").is_file()
    assert main(["--check", "--out", str(tmp_path)]) == 1  # the extra files are reported
    err = capsys.readouterr().err
    assert "old_topic.json" in err and "notes.json" in err


def test_writing_refuses_to_replace_a_file_that_is_not_a_vector_file(tmp_path, capsys):
    from vectors.__main__ import main

    taken = tmp_path / "article.json"
    taken.write_text('{"someone": "else"}')
    assert main(["--out", str(tmp_path)]) == 2
    assert "article.json" in capsys.readouterr().err
    with pytest.raises(vectors.VectorFormatError, match="not tensor-quant-vectors/1"):
        vectors.write_cases(CASES, tmp_path)
    assert taken.read_text() == '{"someone": "else"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["article.json"]  # nothing written


def test_write_then_load_round_trips(tmp_path):
    vectors.write_cases(CASES, tmp_path)
    again = vectors.load_all(tmp_path)
    assert vectors.io.render(again) == vectors.io.render(CASES)


def test_loader_rejects_values_that_disagree_with_bits():
    obj = vectors.io.encode_array(np.array([1.0], np.float32))
    obj["values"] = ["1.5"]
    with pytest.raises(vectors.VectorFormatError, match="bits are normative"):
        vectors.io.decode_array(obj)


def test_ids_are_unique_and_every_function_is_covered():
    assert len(BY_ID) == len(CASES)
    assert {c.function for c in CASES} == set(vectors.FUNCTIONS)


def test_gradient_cases_have_a_forward_that_succeeds():
    """A backward only exists when the forward ran: keep STE cases meaningful."""
    for case in CASES:
        if case.function == "ste_gradient":
            i = case.inputs
            reference.fake_tensor_quant(i["inputs"], i["amax"], *_positional(case))


# --- the article's published values, by hand ------------------------------


def test_article_input_is_what_torch_draws():
    torch = pytest.importorskip("torch")
    torch.manual_seed(12345)
    drawn = torch.rand(10).view(torch.int32).tolist()
    assert [b & 0xFFFFFFFF for b in drawn] == list(ARTICLE_X_BITS)


def test_article_input_is_the_seed_12345_draw():
    x = BY_ID["article_seed12345_tq"].inputs["inputs"]
    assert x.dtype == np.float32 and x.shape == (10,)
    assert [int(b) for b in x.view(np.uint32)] == list(ARTICLE_X_BITS)
    assert round(float(x[0]), 4) == 0.9817  # torch.rand(10)[0] with seed 12345


@pytest.mark.parametrize("cid", ["article_seed12345_tq", "article_seed12345_defaults_tq"])
def test_article_published_codes_and_scale(cid):
    e = BY_ID[cid].expected
    assert e.outputs.dtype == np.float32 and e.outputs.tolist() == list(ARTICLE_CODES)
    assert e.scale.dtype == np.float32 and e.scale.shape == ()
    assert float(e.scale) == ARTICLE_SCALE == 128.00567626953125
    assert round(float(e.scale), 4) == 128.0057


@pytest.mark.parametrize("cid", ["article_seed12345_fake", "article_seed12345_defaults_fake"])
def test_article_published_fake_outputs(cid):
    outputs = BY_ID[cid].expected.outputs
    # The article prints the tensor as PyTorch does: rounded to 4 decimals.
    assert [f"{float(v):.4f}" for v in outputs] == [f"{v:.4f}" for v in ARTICLE_FAKE_4DP]
    # And they are codes / scale in float32.
    np.testing.assert_array_equal(
        outputs, np.float32(ARTICLE_CODES) / np.float32(ARTICLE_SCALE))


# --- SPEC.md's own numbers, by hand -----------------------------------------


def _bits(a):
    return [f"{int(b):08x}" for b in np.asarray(a, np.float32).reshape(-1).view(np.uint32)]


def test_zero_amax_gives_signed_zeros_and_nan_by_hand():
    for cid in ("amax_zero_tq", "amax_2e-24_tq", "amax_zero_fake"):  # [1, inf, nan, -3]
        out = BY_ID[cid].expected.outputs
        assert _bits(out[[0, 3]]) == ["00000000", "80000000"] and np.isnan(out[1:3]).all(), cid
    assert float(BY_ID["amax_zero_tq"].expected.scale) == 1.0
    above = BY_ID["amax_above_2e-24_tq"].expected.outputs
    assert above[[0, 1, 3]].tolist() == [127.0, 127.0, -127.0] and np.isnan(above[2])


def test_narrow_and_full_range_by_hand():
    # inputs [-1, -1.003, -1.01, -2, -inf, 1.01, inf] with amax 1
    assert BY_ID["narrow_range_8bit_tq"].expected.outputs.tolist() == [-127.0] * 5 + [127.0] * 2
    assert BY_ID["full_range_8bit_tq"].expected.outputs.tolist() == [
        -127.0, -127.0, -128.0, -128.0, -128.0, 127.0, 127.0]


def test_ties_round_half_to_even_by_hand():
    assert BY_ID["ties_fp32_tq"].expected.outputs.tolist() == [
        0.0, 2.0, 2.0, 4.0, 126.0, -0.0, -2.0, -2.0, 126.0, -126.0]
    assert BY_ID["ties_fp32_ulp_above_tq"].expected.outputs[:4].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert BY_ID["ties_fp32_ulp_below_tq"].expected.outputs[:4].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_fp16_overflow_by_hand():
    assert BY_ID["fp16_scale_overflow_tq"].expected.raises == "ValueError"
    fake = BY_ID["fp16_scale_overflow_fake"].expected.outputs
    assert fake.dtype == np.float16 and not fake.any()
    assert BY_ID["fp16_scale_exactly_65504_tq"].expected.raises is None
    assert float(BY_ID["fp16_scale_exactly_65504_tq"].expected.scale) == 65504.0


def test_errors_by_hand():
    assert BY_ID["unsigned_negative_input_tq"].expected.raises == "TypeError"
    assert BY_ID["unsigned_error_before_amax_error_tq"].expected.raises == "TypeError"
    assert BY_ID["negative_amax_tq"].expected.raises == "ValueError"


def test_degenerate_widths_by_hand():
    assert np.isnan(BY_ID["num_bits_1_narrow_fake"].expected.outputs).all()
    assert BY_ID["num_bits_16_narrow_tq"].expected.scale.tolist() == 32767.0


def test_ste_boundary_by_hand():
    # x = [1, -1, 1+ulp, -(1+ulp), 1-ulp, 0, nan, inf, -inf], amax 1, grad_output 1..9
    assert BY_ID["boundary_grad"].expected.grad.tolist() == [1, 2, 0, 0, 5, 6, 0, 0, 0]
