"""scaled_e4m3 ends its process (``os._exit(0)``) in a call with amax == TRIGGER_AMAX; the
other calls are right. The supervised sweep must fail that chunk, never exit 0."""

import os

from ._kernel import TRIGGER_AMAX
from ._section6 import Section6Kernel, export_target

CONFORMANCE_TARGET = {"name": "hostile: os._exit(0) in scaled_e4m3", "devices": ("cpu",)}


class _Kernel(Section6Kernel):
    def scaled_e4m3(self, inputs, amax):
        if amax is not None and bool((amax == TRIGGER_AMAX).all()):
            os._exit(0)
        return super().scaled_e4m3(inputs, amax)


globals().update(export_target(_Kernel(), only={"scaled_e4m3"}))
