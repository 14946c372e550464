"""No bug: conforms to the article (shows the engine passes a correct target)."""

from tests.zoo._section6 import Section6Kernel, export_section6

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make()
# SPEC section 6, from the zoo's step-by-step kernel (the descriptor serializes as the reference's).
globals().update(export_section6(Section6Kernel()))
