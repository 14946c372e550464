"""Range-checks the inputs with inputs.abs().max(), which raises on empty tensors; breaks the rule that empty tensors quantize (to empty outputs) like any other."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"degenerate_shapes"})


class _Kernel(Kernel):
    def check_unsigned(self, inputs, unsigned):
        inputs.abs().max()  # the bug: a reduction with no identity on an empty tensor
        super().check_unsigned(inputs, unsigned)


fake_tensor_quant, tensor_quant = export(_Kernel())
