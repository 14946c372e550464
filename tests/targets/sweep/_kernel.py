"""The sweep tests' kernels: ``tests.targets._switchable`` (each target flips one switch),
and the hostile ones: correct, except that a call with amax == ``TRIGGER_AMAX`` misbehaves."""

from tests.zoo._base import export

from .._switchable import Switchable, make

__all__ = ["TRIGGER_AMAX", "make", "misbehaving"]

#: The amax whose calls misbehave: a sweep over amaxes (1.0, TRIGGER_AMAX, 2.0) has exactly
#: one bad configuration, so a test knows which chunks must fail and which must pass; the
#: fingerprint sample calls with it too (conformance.fingerprint.sample.AMAXES).
TRIGGER_AMAX = 0.3


class _Misbehaving(Switchable):
    def __init__(self, action, **switches):
        super().__init__(**switches)
        self.action = action

    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        if bool((amax == TRIGGER_AMAX).all()):
            self.action()
        return super().quantize(inputs, amax, num_bits, unsigned, narrow_range)


def misbehaving(action, **switches):
    """``(fake_tensor_quant, tensor_quant)`` of the article's kernel (with ``switches``, see
    ``make``), except that a call with amax == TRIGGER_AMAX first runs ``action()`` (exits,
    crashes, raises or hangs)."""
    return export(_Misbehaving(action, **switches))
