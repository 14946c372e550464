"""The descriptor silently ignores unknown keyword arguments; breaks SPEC 1.9 (TypeError "Unused keys: ...")."""

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_rules"})


class QuantDescriptor(Descriptor):
    def reject_unused(self, kwargs):
        pass  # the bug: leftovers are dropped


fake_tensor_quant, tensor_quant = export(Kernel())
