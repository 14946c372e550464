"""Imports in the sweep's own process but not in a worker: nothing can be checked (INCOMPLETE)."""

import multiprocessing

from ._kernel import make

if multiprocessing.parent_process() is not None:
    raise ImportError("this target refuses to load in a worker process")

CONFORMANCE_TARGET = {"name": "hostile: no import in workers", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = make()
