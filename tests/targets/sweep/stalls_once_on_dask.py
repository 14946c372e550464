"""Rounds half away from zero, and stalls once so that a test can kill its Dask worker mid-chunk.

The first call with amax == TRIGGER_AMAX, among all the processes of a test
(``$SWEEP_STALL_MARKER`` names a file that only one call can create), writes
the pid of the Dask worker it runs under to that file and waits until that
worker is gone; the test kills the worker, and Dask runs the task again on
another one, where the call goes through. Without ``$SWEEP_STALL_MARKER``
(a local sweep) no call stalls. Under Dask the process tree is: Dask worker
-> its fork server -> the sweep's supervised worker, which makes the call.
"""

import os
import time

from ._kernel import misbehaving

CONFORMANCE_TARGET = {"name": "broken: half away; stalls once under Dask", "devices": ("cpu",)}


def _stall_once() -> None:
    marker = os.environ.get("SWEEP_STALL_MARKER")
    if not marker:
        return
    try:
        os.close(os.open(marker + ".claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return  # the run after the kill: go through
    import psutil  # a dependency of distributed

    dask_worker = psutil.Process().parent().parent()
    with open(marker + ".tmp", "w") as f:
        f.write(str(dask_worker.pid))
    os.replace(marker + ".tmp", marker)
    while dask_worker.is_running() and dask_worker.status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.05)
    os._exit(0)  # orphaned: nobody waits for this chunk here any more


fake_tensor_quant, tensor_quant = misbehaving(_stall_once, rounding="half_away")
