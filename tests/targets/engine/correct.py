"""No bug: conforms to the article (shows the engine passes a correct target)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make()
