"""Sets torch's default dtype to float64 at import (every caller's new tensors change)."""

import torch

from .._kernel import QuantDescriptor, make  # noqa: F401

torch.set_default_dtype(torch.float64)

fake_tensor_quant, tensor_quant = make()
