"""Takes positional arguments only, as a pybind11 binding without argument names does; breaks SPEC 7 (every argument form the article accepts, keywords included).

``fake_tensor_quant(x, amax, num_bits=4)`` raises TypeError here; the
article's ``Function.apply`` binds it (on torch 2.13).
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"argument_forms"})

_fake, _quant = export(Kernel())


def fake_tensor_quant(*args):  # the bug: no keywords
    return _fake(*args)


def tensor_quant(*args):  # the bug: no keywords
    return _quant(*args)
