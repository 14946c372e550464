"""The descriptor checks name before num_bits; breaks SPEC 1 (rules in order: num_bits first).

QuantDescriptor(num_bits=-1, name=3) raises TypeError (for the name) where
the article raises ValueError (for num_bits).
"""

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_rules"})


class QuantDescriptor(Descriptor):
    RULE_ORDER = ("_take_name", "_take_num_bits", "_take_options")  # the bug: name first


fake_tensor_quant, tensor_quant = export(Kernel())
