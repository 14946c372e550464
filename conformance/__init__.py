"""tensor-quant conformance: bit-exact checks of fake-quantization kernels.

Point the suite at a kernel (a *target*) and it checks, bit for bit, that the
kernel computes what pytorch-quantization's ``tensor_quant`` defines.
"""
