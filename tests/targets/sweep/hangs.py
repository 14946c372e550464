"""A call never returns (a deadlock, an endless loop): the per-call timeout must fire."""

import threading

from ._kernel import misbehaving

CONFORMANCE_TARGET = {"name": "hostile: a call that never returns", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = misbehaving(threading.Event().wait)
