"""The descriptor keeps a float32 amax array by reference (numpy.asarray, no copy); breaks SPEC 1.7 (amax is stored as numpy.array(amax, dtype=float32), a copy).

Every stored value reads right; the caller who later updates its own amax
array (a calibration loop writing in place) silently changes the descriptor.
"""

import numpy as np

from ._base import Descriptor, Kernel, export

CAUGHT_BY = frozenset({"descriptor_storage"})


class QuantDescriptor(Descriptor):
    def _take_options(self, kwargs):
        amax = kwargs.get("amax")
        super()._take_options(kwargs)
        if isinstance(amax, np.ndarray) and amax.dtype == np.float32:
            self._amax = np.asarray(amax, dtype=np.float32)  # the bug: the caller's array


fake_tensor_quant, tensor_quant = export(Kernel())
