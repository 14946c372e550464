"""The descriptor's dict() (so to_yaml()) also writes narrow_range, a "fix" upstream never
made; breaks SPEC 6.2 (narrow_range and calib_method are never written, so a round trip
loses them)."""

from ._base import Kernel, export
from ._section6 import Section6Descriptor

CAUGHT_BY = frozenset({"descriptor_serialization"})


class QuantDescriptor(Section6Descriptor):
    SERIALIZED = (*Section6Descriptor.SERIALIZED, ("narrow_range", bool))  # the bug


fake_tensor_quant, tensor_quant = export(Kernel())
