"""Does not raise for unsigned quantization of negative inputs (they clamp to 0); breaks SPEC 2.1 (TypeError)."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"errors"})


class _Kernel(Kernel):
    def check_unsigned(self, inputs, unsigned):
        pass  # the bug: the check is missing


fake_tensor_quant, tensor_quant = export(_Kernel())
