"""No bug: every public name of upstream's ``tensor_quant`` module, re-exported from the
built-in ``torch`` target, as a user's ``from pytorch_quantization.tensor_quant import *``
would see them (the section 6 functions included). Passes every property."""

from conformance.builtin.torch_tensor_quant import (  # noqa: F401
    QUANT_DESC_8BIT_CONV1D_WEIGHT_PER_CHANNEL,
    QUANT_DESC_8BIT_CONV2D_WEIGHT_PER_CHANNEL,
    QUANT_DESC_8BIT_CONV3D_WEIGHT_PER_CHANNEL,
    QUANT_DESC_8BIT_CONVTRANSPOSE1D_WEIGHT_PER_CHANNEL,
    QUANT_DESC_8BIT_CONVTRANSPOSE2D_WEIGHT_PER_CHANNEL,
    QUANT_DESC_8BIT_CONVTRANSPOSE3D_WEIGHT_PER_CHANNEL,
    QUANT_DESC_8BIT_LINEAR_WEIGHT_PER_ROW,
    QUANT_DESC_8BIT_PER_TENSOR,
    QUANT_DESC_UNSIGNED_8BIT_PER_TENSOR,
    FakeAffineTensorQuantFunction,
    FakeTensorQuantFunction,
    LegacyFakeTensorQuantFunction,
    QuantDescriptor,
    ScaledE4M3Function,
    ScaledQuantDescriptor,
    TensorQuantFunction,
)

tensor_quant = TensorQuantFunction.apply
legacy_fake_tensor_quant = LegacyFakeTensorQuantFunction.apply
fake_tensor_quant = FakeTensorQuantFunction.apply
fake_affine_tensor_quant = FakeAffineTensorQuantFunction.apply
scaled_e4m3 = ScaledE4M3Function.apply
