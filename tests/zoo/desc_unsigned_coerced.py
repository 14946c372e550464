"""The descriptor coerces unsigned to bool; breaks SPEC 1.8 (every value is stored as given).

``QuantDescriptor(unsigned=1).unsigned`` is ``True`` (a bool) here and ``1``
(an int) in the article; ``np.bool_(True)`` likewise becomes a Python bool.
"""

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_rules"})


class QuantDescriptor(Descriptor):
    def _take_options(self, kwargs):
        super()._take_options(kwargs)
        self._unsigned = bool(self._unsigned)  # the bug


fake_tensor_quant, tensor_quant = export(Kernel())
