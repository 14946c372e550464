"""scaled_e4m3 exists but raises NotImplementedError for E4M3 too (a stub left in); breaks
SPEC 6.3 (NotImplementedError is the article's answer only unless E=4 and M=3). A target
that cannot express a call may raise it; here it is a wrong answer, not a skip."""

from ._base import export
from ._section6 import Section6Kernel, export_section6

CAUGHT_BY = frozenset({"e4m3_values", "e4m3_gradient"})


class _Kernel(Section6Kernel):
    def e4m3_check(self, E, M):
        raise NotImplementedError("FP8 is not implemented yet")  # the bug: for every format


fake_tensor_quant, tensor_quant = export(_Kernel())
globals().update(export_section6(_Kernel()))
