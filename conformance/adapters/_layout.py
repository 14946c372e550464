"""How an article-style amax maps onto per-tensor / per-axis kernels.

The article broadcasts amax against the inputs (PyTorch rules, trailing
dimensions aligned). Real kernels take one scale, or a 1-D scale along one
axis. ``layout`` finds which: one element is per tensor; one dimension of
amax that is not 1 is a per-axis call on that dimension of the broadcast
shape; anything else (several such dimensions) is run as a per-axis call on
the flattened tensor with one scale per element, which is the same arithmetic
element by element.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["Layout", "integer_range", "layout"]


@dataclasses.dataclass(frozen=True)
class Layout:
    """``axis`` None: per tensor; ``flatten``: per element along axis 0 of x.reshape(-1)."""

    shape: tuple[int, ...]  # the broadcast shape of inputs and amax
    axis: int | None
    flatten: bool = False


def layout(input_shape, amax_shape) -> Layout:
    """The kernel call that reproduces the article's broadcasting."""
    input_shape, amax_shape = tuple(input_shape), tuple(amax_shape)
    width = max(len(input_shape), len(amax_shape))
    padded_in = (1,) * (width - len(input_shape)) + input_shape
    padded_amax = (1,) * (width - len(amax_shape)) + amax_shape
    shape = tuple(np.broadcast_shapes(padded_in, padded_amax))
    if math.prod(amax_shape) == 1:
        return Layout(shape, None)
    axes = [d for d, n in enumerate(padded_amax) if n != 1]
    if len(axes) == 1:
        return Layout(shape, axes[0])
    return Layout(shape, 0, flatten=True)


def integer_range(num_bits: int, unsigned: bool, narrow_range: bool, unsupported):
    """The article's ``(min_bound, max_bound)`` as integers, for kernels that take ints."""
    max_bound = 2 ** (num_bits - 1 + int(unsigned)) - 1
    if max_bound < 0 or max_bound != int(max_bound):
        raise unsupported(
            f"num_bits={num_bits} gives max_bound={max_bound}, not an integer range"
        )
    max_bound = int(max_bound)
    if unsigned:
        return 0, max_bound
    return (-max_bound if narrow_range else -max_bound - 1), max_bound
