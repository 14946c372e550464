"""Does not raise for a negative amax; breaks SPEC 2.3 (ValueError "Negative values in amax")."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"errors"})


class _Kernel(Kernel):
    def check_amax(self, amax):
        pass  # the bug: the check is missing


fake_tensor_quant, tensor_quant = export(_Kernel())
