"""Calling the target, so that no call can hang, end or interrupt the run.

Two ways, chosen per process:

* **Supervised** (the default of every command): the target runs in a child
  process (``conformance.isolate``). Each call runs directly on the calling
  thread and is recorded in a small file shared with the parent (``Watch``):
  what is being called and until when it may run. The parent kills the child
  when a call overruns, whatever it does (a sleep, a deadlock, a loop in C
  that never releases the GIL), and reports the call as hung.
* **In process** (``--in-process``, and the engine's own tests): each call
  runs on a daemon worker thread and the caller waits at most ``timeout``
  seconds. A call that overruns leaves its thread behind (a thread cannot be
  killed), marks the target as hung, and every later call fails at once with
  ``TargetHung``. A loop that holds the GIL cannot be stopped this way.

Either way, ``SystemExit``, ``KeyboardInterrupt`` and other non-``Exception``
errors raised by the target become ``TargetAborted``, an ordinary failure of
the call: a kernel must never end or interrupt its caller's program.
"""

from __future__ import annotations

import math
import mmap
import queue
import signal
import struct
import threading
import time

__all__ = ["DEFAULT_CALL_TIMEOUT", "DEFAULT_IMPORT_TIMEOUT", "Caller", "TargetAborted",
           "TargetHung", "TargetUnsupported", "Watch", "heartbeat", "seconds", "supervise",
           "user_interrupted", "watch_interrupts", "watched"]

#: Seconds one call of a target may take before it counts as hung (``--call-timeout``).
DEFAULT_CALL_TIMEOUT = 30.0
#: Seconds importing a target may take (``--import-timeout``); generous, because a
#: target may compile its extension when imported.
DEFAULT_IMPORT_TIMEOUT = 300.0


class TargetHung(Exception):
    """A call to the target did not return within the per-call timeout."""


class TargetUnsupported(BaseException):
    """The target raised NotImplementedError: it cannot express this call.

    A BaseException so that it passes the checks' ``except Exception``: inside
    a Hypothesis example it rejects the example (``run_examples``), anywhere
    else it skips the property (``runner``), instead of counting as a deviation.
    """


class TargetAborted(Exception):
    """The target raised SystemExit, KeyboardInterrupt or another non-Exception error."""


def seconds(text) -> float:
    """A timeout given on the command line: a finite number of seconds above 0.

    For ``argparse`` (``type=seconds``): a bad value exits 2 with the message.
    """
    import argparse

    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds above 0 (e.g. 30), got {text!r}")
    return value


def _check_timeout(timeout) -> float:
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a finite number of seconds above 0, got {timeout!r}")
    return float(timeout)


# -- interrupts ------------------------------------------------------------------------

_interrupts = {"watched": False, "seen": False}


def watch_interrupts(*, signals: bool = True) -> None:
    """Note real Ctrl-C presses, so that a KeyboardInterrupt raised by target code is told apart.

    The command line calls this (main thread). ``signals=False`` is for a process
    no Ctrl-C can reach (the supervised child, in a session of its own): there
    every KeyboardInterrupt is the target's. Without it, every KeyboardInterrupt
    counts as the user's (as in a test run under pytest).
    """
    def handler(signum, frame):
        _interrupts["seen"] = True
        raise KeyboardInterrupt

    if signals:
        signal.signal(signal.SIGINT, handler)
    _interrupts["watched"] = True


def user_interrupted() -> bool:
    """Whether a KeyboardInterrupt now may be the user's (always, unless interrupts are watched)."""
    return _interrupts["seen"] or not _interrupts["watched"]


def _aborted(exc: BaseException, what: str) -> TargetAborted:
    return TargetAborted(f"{what} raised {type(exc).__name__}({exc}): a kernel must never "
                         "exit or interrupt its caller's program")


# -- the supervised way: a deadline the parent enforces ---------------------------------

class Watch:
    """The call in progress, in a file that the child writes and its parent reads.

    Layout: the deadline (``time.monotonic()``, 0 between calls), the call's
    timeout, the last sign of progress, and what is being called. Monotonic
    time is one clock for every process of the machine.
    """

    LAYOUT = struct.Struct("<ddd104s")

    def __init__(self, path: str, *, call_timeout: float = DEFAULT_CALL_TIMEOUT):
        self.path = path
        self.call_timeout = _check_timeout(call_timeout)
        self._depth = 0
        with open(path, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), self.LAYOUT.size)

    @classmethod
    def create(cls, path: str, *, what: str, timeout: float) -> Watch:
        """A new watch file whose first deadline (the child's start and import) is set."""
        with open(path, "wb") as f:
            f.write(bytes(cls.LAYOUT.size))
        watch = cls(path)
        watch._write(time.monotonic() + timeout, timeout, what)
        return watch

    def _write(self, deadline: float, timeout: float, what: str) -> None:
        self.LAYOUT.pack_into(self._map, 0, deadline, timeout, time.monotonic(),
                              what.encode("utf-8", "replace")[:104])

    def read(self) -> tuple[float, float, float, str]:
        """``(deadline, timeout, last progress, what)``."""
        deadline, timeout, beat, what = self.LAYOUT.unpack_from(self._map, 0)
        return deadline, timeout, beat, what.rstrip(b"\0").decode("utf-8", "replace")

    def begin(self, what: str, timeout: float | None = None) -> None:
        """A call starts; nested calls (a wrapped function inside a Caller) keep the outer one."""
        self._depth += 1
        if self._depth == 1:
            timeout = self.call_timeout if timeout is None else timeout
            self._write(time.monotonic() + timeout, timeout, what)

    def end(self) -> None:
        self._depth = max(0, self._depth - 1)
        if self._depth == 0:
            self._write(0.0, 0.0, "")

    def beat(self) -> None:
        """Progress outside a call (an example drawn, a case replayed)."""
        if self._depth == 0:
            self._write(0.0, 0.0, "")

    def close(self) -> None:
        self._map.close()


_watch: list[Watch | None] = [None]


def supervise(watch: Watch | None) -> None:
    """Make every call of this process report to ``watch`` (the supervised child does this)."""
    _watch[0] = watch


def heartbeat() -> None:
    """Tell a supervising parent that the run makes progress (no-op when not supervised)."""
    if _watch[0] is not None:
        _watch[0].beat()


def watched(fn, what: str):
    """``fn`` under the watch's deadline wherever it is called from (``fn`` itself when
    not supervised): every call of a target's function is supervised, also those that do
    not go through a ``Caller``."""
    watch = _watch[0]
    if watch is None or fn is None or getattr(fn, "_conformance_watched", False):
        return fn

    def call(*args, **kwargs):
        watch.begin(what)
        try:
            return fn(*args, **kwargs)
        finally:
            watch.end()

    call.__name__ = getattr(fn, "__name__", what)
    call.__qualname__ = getattr(fn, "__qualname__", what)
    call.__doc__ = getattr(fn, "__doc__", None)
    call.__wrapped__ = fn
    call._conformance_watched = True
    return call


# -- the caller ------------------------------------------------------------------------

class Caller:
    """Calls the target with a timeout per call (supervised, or on a worker thread)."""

    def __init__(self, timeout: float = DEFAULT_CALL_TIMEOUT):
        self.timeout = _check_timeout(timeout)
        self.hung: str | None = None  # what hung, once something has (in process only)
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
        """``fn()``'s result; its exception re-raised here; TargetHung on timeout."""
        if self.hung is not None:
            raise TargetHung(self.hung)  # not called again: the worker is still stuck
        watch = _watch[0]
        if watch is not None:
            watch.begin(what)
            try:
                ok, value = True, fn()
            except BaseException as exc:  # noqa: B036 - judged below
                ok, value = False, exc
            finally:
                watch.end()
        else:
            ok, value = self._on_worker(fn, what)
        if ok:
            return value
        if isinstance(value, NotImplementedError):
            raise TargetUnsupported(f"{what}: {value}") from value
        if isinstance(value, (TargetUnsupported, TargetHung)):
            raise value
        if not isinstance(value, Exception):
            raise _aborted(value, what) from value
        raise value

    def _on_worker(self, fn, what):
        if self._jobs is None:
            self._jobs = self._start()
        reply: queue.Queue = queue.Queue(maxsize=1)
        self._jobs.put((fn, reply))
        try:
            return reply.get(timeout=self.timeout)
        except queue.Empty:
            self.hung = f"{what} did not return within {self.timeout:g} s"
            self._jobs = None  # abandon the stuck worker
            raise TargetHung(self.hung) from None

