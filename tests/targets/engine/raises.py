"""Misbehaves: every call raises an unexpected exception."""


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    raise RuntimeError("kernel launch failed")
