"""Bug: per-channel amax applied to the last axis (caught by fake_per_channel)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(wrong_axis=True)
