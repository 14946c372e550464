"""Detaches amax before the autograd Function ("it takes no gradient anyway"); breaks SPEC 3 and 7 (the autograd state of the outputs).

Every value and gradient is right, but with only amax requiring grad the
outputs no longer require grad: the article's do (its Function records any
input that requires grad), so ``loss.backward()`` raises here and not there.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"autograd_state"})

_fake, _quant = export(Kernel())


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    return _fake(inputs, amax.detach(), num_bits, unsigned, narrow_range)  # the bug


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    return _quant(inputs, amax.detach(), num_bits, unsigned, narrow_range)  # the bug
