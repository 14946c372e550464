"""The amax a descriptor's ``axis`` implies (SPEC.md section 1, ``axis``).

``axis`` names the axes that KEEP their own amax: the maximum of ``|x|`` is
taken over every other axis, with keepdims, so a KCRS weight with
``axis=(0)`` gets an amax of shape ``(K, 1, 1, 1)``. ``axis=None`` gives one
0-d amax for the whole tensor. NaN propagates, as ``torch.max`` does.
"""

from __future__ import annotations

import operator

from ._xp import array_namespace

__all__ = ["compute_amax"]


def compute_amax(inputs, axis=None):
    """``max |inputs|`` over the axes not named by ``axis`` (keepdims)."""
    xp = array_namespace(inputs)
    if inputs.size == 0:
        raise ValueError("compute_amax needs a non-empty input: the max of nothing is undefined.")
    if axis is None:
        return xp.max(xp.abs(inputs))
    kept = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    try:
        kept = {operator.index(a) for a in kept}
    except TypeError:
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}.") from None
    rank = inputs.ndim
    for a in kept:
        if not -rank <= a < rank:
            raise ValueError(
                f"axis {a} is out of range for an input of rank {rank}: "
                f"use an axis in [{-rank}, {rank})."
            )
    kept = {a % rank for a in kept}
    reduced = tuple(i for i in range(rank) if i not in kept)
    return xp.max(xp.abs(inputs), axis=reduced, keepdims=True)
