"""Calling the target with a per-call timeout, so a hung kernel cannot hang the run.

Each call runs on a daemon worker thread; the caller waits at most
``timeout`` seconds. A call that overruns leaves its thread behind (a thread
cannot be killed), marks the target as hung, and every later call fails at
once with ``TargetHung`` so the run goes on to the other targets.
"""

from __future__ import annotations

import queue
import threading

__all__ = ["DEFAULT_CALL_TIMEOUT", "Caller", "TargetHung", "TargetUnsupported"]

#: Seconds one call of a target may take before it counts as hung (``--call-timeout``).
DEFAULT_CALL_TIMEOUT = 30.0


class TargetHung(Exception):
    """A call to the target did not return within the per-call timeout."""


class TargetUnsupported(BaseException):
    """The target raised NotImplementedError: it cannot express this call.

    A BaseException so that it passes the checks' ``except Exception``: inside
    a Hypothesis example it rejects the example (``run_examples``), anywhere
    else it skips the property (``runner``), instead of counting as a deviation.
    """


class Caller:
    """Runs callables on one worker thread with a timeout per call."""

    def __init__(self, timeout: float = DEFAULT_CALL_TIMEOUT):
        self.timeout = timeout
        self.hung: str | None = None  # what hung, once something has
        self._jobs: queue.Queue | None = None

    def _start(self) -> queue.Queue:
        jobs: queue.Queue = queue.Queue()

        def work():
            while True:
                fn, reply = jobs.get()
                try:
                    reply.put((True, fn()))
                except BaseException as exc:  # the target's exception, handed back
                    reply.put((False, exc))

        threading.Thread(target=work, name="conformance-call", daemon=True).start()
        return jobs

    def __call__(self, fn, what: str = "call"):
        """``fn()`` on the worker; its exception re-raised here; TargetHung on timeout."""
        if self.hung is not None:
            raise TargetHung(self.hung)  # not called again: the worker is still stuck
        if self._jobs is None:
            self._jobs = self._start()
        reply: queue.Queue = queue.Queue(maxsize=1)
        self._jobs.put((fn, reply))
        try:
            ok, value = reply.get(timeout=self.timeout)
        except queue.Empty:
            self.hung = f"{what} did not return within {self.timeout:g} s"
            self._jobs = None  # abandon the stuck worker
            raise TargetHung(self.hung) from None
        if ok:
            return value
        if isinstance(value, NotImplementedError):
            raise TargetUnsupported(f"{what}: {value}") from value
        raise value
