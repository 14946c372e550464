"""Misbehaves: returns a Python list instead of a tensor."""


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    return inputs.tolist()


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    return inputs.numpy()
