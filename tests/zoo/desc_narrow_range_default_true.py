"""The descriptor's narrow_range defaults to True; breaks SPEC 1.8 (narrow_range=False by default, unlike the functions).

An easy slip: the functions' narrow_range parameter does default to True.
"""

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_rules"})


class QuantDescriptor(Descriptor):
    DEFAULTS = {**Descriptor.DEFAULTS, "narrow_range": True}  # the bug


fake_tensor_quant, tensor_quant = export(Kernel())
