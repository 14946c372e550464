"""Returns tensor_quant's scale detached (it takes no gradient); breaks SPEC 3 and 7 (the scale output requires grad in the article).

The article marks no output non-differentiable: when the inputs require
grad, the scale requires grad too and backward through it gives the inputs
zeros. Detached, ``scale.requires_grad`` is False and a loss built on the
scale has no graph. Its values are right, so only the autograd state shows it.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"autograd_state"})

fake_tensor_quant, _quant = export(Kernel())


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    outputs, scale = _quant(inputs, amax, num_bits, unsigned, narrow_range)
    return outputs, scale.detach()  # the bug
