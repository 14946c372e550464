"""Kills its own process with SIGSEGV in a call (as a crashing C extension does)."""

import os
import signal

from ._kernel import misbehaving

CONFORMANCE_TARGET = {"name": "hostile: SIGSEGV in a call", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = misbehaving(lambda: os.kill(os.getpid(), signal.SIGSEGV))
