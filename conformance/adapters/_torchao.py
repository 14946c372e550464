"""What both torchao targets share: the article's amax as torchao's scale and blocks.

torchao's affine primitives take a ``scale`` (the step, ``amax / max_bound``)
and a ``block_size`` (how many elements share a scale, per dimension). The
step is computed in float64 and rounded once to float32, torchao's default
scale precision, and it is *not* detached: torchao's fake quantization is
differentiable in its scale (QAT range learning relies on it), so amax gets
whatever gradient torchao's graph gives it.
"""

from __future__ import annotations

import torch

from . import Unsupported, require, triton_before_tensorflow
from ._layout import layout

triton_before_tensorflow("torchao")  # see there: LLVM twice in a process
_primitives = require("torchao.quantization.quant_primitives", "torchao", "torchao")

__all__ = ["Blocks", "check_dtype", "primitives"]

primitives = _primitives

#: torchao asserts its inputs are one of these.
_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def check_dtype(inputs, adapter: str) -> None:
    if inputs.dtype not in _DTYPES:
        raise Unsupported(f"{adapter} takes float32, float16 and bfloat16 inputs "
                          f"(it asserts so), not {inputs.dtype}")


def check_bound(max_bound: int, adapter: str) -> None:
    if max_bound > 2**24:
        # The article's max_bound is a float32: past 2**24 it is 2**(n-1), not the integer
        # 2**(n-1) - 1 that torchao's quant_max is.
        raise Unsupported(f"{adapter}: quant_max {max_bound} is past 2**24, where the article's "
                          "float32 max_bound is no longer that integer")


class Blocks:
    """The inputs broadcast to the article's output shape, their step and torchao blocks."""

    def __init__(self, inputs, amax, max_bound: int):
        plan = layout(inputs.shape, amax.shape)
        x = inputs if tuple(inputs.shape) == plan.shape else inputs.expand(plan.shape)
        step = (amax.to(torch.float64) / float(max_bound)).to(torch.float32)
        self.shape = plan.shape
        self.full_step = step.expand(plan.shape) if step.ndim <= len(plan.shape) else step
        if plan.axis is None:
            self.x, self.step = x, step.reshape(1)
            self.block_size = tuple(plan.shape)
        elif plan.flatten:  # one scale per element
            self.x = x.reshape(-1)
            self.step = step.expand(plan.shape).reshape(-1)
            self.block_size = (1,)
        else:
            self.x, self.step = x, step.reshape(-1)
            self.block_size = tuple(1 if d == plan.axis else n for d, n in enumerate(plan.shape))

    def back(self, out):
        return out.reshape(self.shape)
