"""fake_affine_tensor_quant wrapped with a default of 16 bits; breaks SPEC 6.1 (num_bits
defaults to 8: a call that leaves it out must get 8-bit codes). Every call that passes
num_bits conforms."""

from ._base import export
from ._section6 import Section6Kernel, export_section6

CAUGHT_BY = frozenset({"affine_values"})

_EXPORTED = export_section6(Section6Kernel())
_affine = _EXPORTED["fake_affine_tensor_quant"]


def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=16):  # the bug: 16
    return _affine(inputs, min_range, max_range, num_bits)


fake_tensor_quant, tensor_quant = export(Section6Kernel())
globals().update({k: v for k, v in _EXPORTED.items() if k != "fake_affine_tensor_quant"})
