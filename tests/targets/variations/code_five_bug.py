"""An unrelated bug no variation describes: code 5 comes out as 6."""

from ._kernel import make

fake_tensor_quant = make(off_by_one_code=5)
CONFORMANCE_TARGET = {"name": "code 5 off by one", "devices": ("cpu",)}
