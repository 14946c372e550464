"""The public functions default narrow_range to False; breaks SPEC 3 (the functions default to narrow_range=True, unlike the descriptor).

Every call that passes all five arguments is right; a call that relies on
the defaults gets -128 where the article clamps to -127.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"argument_forms"})

_fake, _quant = export(Kernel())


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=False):  # the bug
    return _fake(inputs, amax, num_bits, unsigned, narrow_range)


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=False):  # the bug
    return _quant(inputs, amax, num_bits, unsigned, narrow_range)
