"""Correct, but starts a non-daemon thread at import that never ends."""

import threading

from .._kernel import QuantDescriptor, make  # noqa: F401

threading.Thread(target=threading.Event().wait, name="never-ends", daemon=False).start()

fake_tensor_quant, tensor_quant = make()
