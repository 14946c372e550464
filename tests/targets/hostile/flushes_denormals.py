"""Turns on flush-to-zero at import (torch.set_flush_denormal(True)): subnormals become 0."""

import torch

from .._kernel import QuantDescriptor, make  # noqa: F401

torch.set_flush_denormal(True)

fake_tensor_quant, tensor_quant = make()
