"""Pieces shared by the strategies of SPEC section 6's functions (affine, FP8, legacy).

Their inputs come from a pool of structured values (ties, bounds, specials)
built for the drawn call, picked by a drawn seed: elementwise failures are
narrowed to one element when judged, so shrinking the elements buys
nothing, while drawing the whole pool at once ("dense") hits every
boundary of the call in one example.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from hypothesis import strategies as st

from ..section6_calls import signature_of

__all__ = ["LAYOUTS", "SEEDS", "array_from_pool", "forward_grads", "omit_defaults"]

#: small: a drawn shape of pool and random values; dense: every pool value at once;
#: per_channel: each channel its own range or amax.
LAYOUTS = st.sampled_from(["small", "small", "dense", "per_channel"])
SEEDS = st.integers(0, 2**32 - 1)
#: The share of pool values (the rest random) in a small array.
_FROM_POOL = 0.7


def array_from_pool(seed: int, pool, shape, dtype, *, center: float, width: float):
    """An array of ``dtype``: ``shape`` picked from ``pool`` and random values around
    ``center``, or (``shape`` None) every pool value and 16 random ones, shuffled."""
    rng = np.random.default_rng(seed)
    pool = np.asarray(pool, dtype=np.float64)
    center = center if math.isfinite(center) else 0.0
    width = width if math.isfinite(width) and width > 0 else 1.0
    if shape is None:
        values = np.concatenate([pool, center + rng.uniform(-0.5, 0.5, 16) * width])
        values = values[rng.permutation(values.size)]
    else:
        count = math.prod(shape)
        picks = pool[rng.integers(0, pool.size, count)]
        randoms = center + rng.uniform(-0.5, 0.5, count) * width
        values = np.where(rng.random(count) < _FROM_POOL, picks, randoms).reshape(shape)
    with np.errstate(over="ignore", invalid="ignore"):
        return values.astype(dtype)


@functools.cache
def forward_grads(others: tuple[str, ...]):
    """Which tensors of a forward call require grad: mostly none; sometimes the inputs
    (the forward bits must not change) or the other tensors."""
    return st.sampled_from([frozenset(), frozenset(), frozenset({"inputs"}), frozenset(others)])


def omit_defaults(draw, function: str, arguments: dict) -> dict:
    """``arguments`` without a drawn trailing run of those equal to their defaults.

    A call that relies on a default must get the article's default: a kernel
    whose ``forward(ctx, inputs, amax=None, E=4, M=3)`` says ``E=5`` is right
    on every call that passes E. One call in three leaves out what it can.
    """
    if not draw(st.sampled_from([False, False, True]), label="omit_defaults"):
        return arguments
    out = dict(arguments)
    for name, default in reversed(signature_of(function).numbers):
        value = out.get(name, default)
        if type(value) is not type(default) or value != default:
            break
        out.pop(name, None)
    return out
