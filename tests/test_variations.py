"""Each named variation's documented example really shows it, and combine() guards fields."""

import numpy as np
import pytest

from conformance.compare import bits_equal
from reference import ARTICLE
from reference.semantics import Semantics
from reference.variations import VARIATIONS, VariationError, combine


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_example_differs_from_the_article(name):
    variation = VARIATIONS[name]
    with np.errstate(all="ignore"):
        article = variation.example.evaluate(ARTICLE)
        varied = variation.example.evaluate(variation.semantics)
    assert not bits_equal(article, varied), f"{name}: its example does not show it"


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_variation_sets_one_known_field(name):
    variation = VARIATIONS[name]
    assert variation.semantics.changes() == {variation.field: variation.value}
    assert variation.summary and variation.seen_in


def test_examples_match_what_each_variation_says():
    cases = {
        "round_half_away": [3.0],
        "round_toward_zero": [1.0],
        "always_narrow": [-127.0],
        "always_full_range": [-128.0],
        "nan_to_lower_bound": [-127.0],
        "quantize_divide_step": [1.0],
        "quantize_multiply_reciprocal": [1.0],
        "ste_pass_through": [1.0],
        "ste_rounded_code": [1.0],
    }
    for name, expected in cases.items():
        v = VARIATIONS[name]
        got = v.example.evaluate(v.semantics)
        np.testing.assert_array_equal(got.astype(np.float64), expected, err_msg=name)
    zero = VARIATIONS["zero_amax_strict"]
    got = zero.example.evaluate(zero.semantics)
    assert not np.signbit(got).any() and (got == 0).all()  # +0 for -1, NaN and inf


def test_combine_rejects_unknown_and_contradicting_names():
    with pytest.raises(VariationError, match="unknown variation"):
        combine(["no_such_variation"])
    with pytest.raises(VariationError, match="both set 'rounding'"):
        combine(["round_half_away", "round_toward_zero"])
    assert combine([]) == ARTICLE == Semantics()


def test_every_non_default_field_value_has_a_name():
    import dataclasses
    import typing

    import reference.semantics as sem

    named = {(v.field, v.value) for v in VARIATIONS.values()}
    for field in dataclasses.fields(Semantics):
        values = typing.get_args(getattr(sem, field.type) if isinstance(field.type, str)
                                 else field.type)
        for value in values:
            if value != field.default:
                assert (field.name, value) in named, (field.name, value)
