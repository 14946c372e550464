"""Silences NumPy's floating-point warnings process-wide (np.seterr(all="ignore")) while checking amax; breaks SPEC 7 (a call leaves global NumPy state as it found it).

The values are right; afterwards the caller's own NumPy code divides by zero
without the warning it used to get.
"""

import numpy as np

from ._base import Kernel, export

CAUGHT_BY = frozenset({"process_state"})


class _Kernel(Kernel):
    def check_amax(self, amax):
        np.seterr(all="ignore")  # the bug: meant as `with np.errstate(all="ignore"):`
        super().check_amax(amax)


fake_tensor_quant, tensor_quant = export(_Kernel())
