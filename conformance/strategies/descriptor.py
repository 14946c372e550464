"""Descriptor arguments and YAML documents for the serialization methods (SPEC 6.2).

Built from what the methods do: ``dict()`` writes a value by its truth or
None-ness, ``to_yaml()`` calls ``list(axis)`` and lets PyYAML quote and
sort, ``from_yaml()`` calls ``tuple(axis)`` and ``cls(**loaded)``, ``==``
compares stored values in order (multi-element amax arrays raise), and
``str()`` formats its own text with the stored values. So the arguments
mix int and tuple and list axes, one- and several-element amax (NaN, inf,
huge), names PyYAML must quote or that hold format fields, falsy but
not-None options, and the keys never written (``narrow_range``,
``calib_method``); the documents mix valid mappings with wrong types,
unknown keys, non-mappings, empty text and tags ``safe_load`` refuses.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from vectors.cases_section6 import DESCRIPTOR_KWARGS, DESCRIPTOR_YAML

__all__ = ["FIXED_KWARGS", "FIXED_YAML", "descriptor_kwargs", "yaml_documents"]

_VALUES = {
    "num_bits": st.sampled_from([8, 4, 0, 1, 16, True, 3]),
    "name": st.sampled_from([None, "w", "weight", "yes", "null", "1.5", "{_num_bits}",
                             "conv1/weight", "é", "", "a: b", "{}"]),
    "fake_quant": st.sampled_from([True, False, 0, None]),
    "axis": st.sampled_from([None, (0,), (1, 2), (0, 1, 2, 3), 0, -1, [0, 1], (-1,)]),
    "learn_amax": st.sampled_from([False, True, 0]),
    "amax": st.sampled_from([None, 1.0, 0.5, [1.0, 2.0], [0.5], [3.0, 1e30, 1e-30],
                             np.array([0.25, 4.0]), [[1.0], [2.0]], math.nan, math.inf,
                             [math.nan, 1.0], 2.0**-24, 3.4e38, -1.0]),
    "scale_amax": st.sampled_from([None, 2.0, 0.0, 0.5, 1e-5, 1]),
    "calib_method": st.sampled_from(["max", "histogram", "entropy"]),
    "unsigned": st.sampled_from([False, True, 1]),
    "narrow_range": st.sampled_from([False, True]),
}
_KEYS = st.lists(st.sampled_from(sorted(_VALUES)), max_size=6, unique=True)


@st.composite
def descriptor_kwargs(draw):
    """Constructor arguments the reference accepts or refuses (both are checked)."""
    keys = draw(_KEYS, label="keys")
    return {key: draw(_VALUES[key], label=key) for key in keys}


#: Arguments and documents checked on every run: SPEC 6.2's examples and each quirk
#: at least once (the same lists are golden vectors).
FIXED_KWARGS = DESCRIPTOR_KWARGS
FIXED_YAML = DESCRIPTOR_YAML

_YAML_KEY = st.sampled_from(["num_bits", "name", "axis", "amax", "unsigned", "fake_quant",
                             "learn_amax", "scale_amax", "narrow_range", "calib_method", "foo"])
_YAML_SCALAR = st.sampled_from(["4", "8", "0", "-1", "1.5", "true", "false", "yes", "null", "~",
                                "'w'", "w", ".nan", ".inf", "[0, 1]", "[1.0, 2.0]", "[]", "0x10",
                                "1e3", "'8'", "[[1.0], [2.0]]", "{a: 1}"])


@st.composite
def yaml_documents(draw):
    """A YAML mapping of descriptor keys (and one unknown key) to scalars, lists and maps."""
    keys = draw(st.lists(_YAML_KEY, max_size=5, unique=True), label="keys")
    return "".join(f"{key}: {draw(_YAML_SCALAR, label=key)}\n" for key in keys)
