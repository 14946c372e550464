"""Running the target once on the fingerprint sample, so that no target can fake a verdict.

Every call goes through ``conformance.calls.Caller`` with a per-call timeout
(``DEFAULT_CALL_TIMEOUT`` unless told otherwise): a call that does not
return ends the observation, which says so (``Observed.failed``), instead of
hanging the fingerprint or the docs report. A target's exception is an
outcome like any other (it differs from the reference's result), and so is
``SystemExit``, which would otherwise end the command with the target's exit
status.

By default (``isolate=True``) the observation runs in a child process from
the sweep's worker context (a fork server with torch imported): a target
that ends its process (``os._exit(0)``, a segfault) ends only the child,
and the observation says which call did it, so ``fingerprint`` cannot exit
0 on its behalf. The child streams each outcome as it comes, so the calls
before the crash still count.
"""

from __future__ import annotations

import dataclasses
import multiprocessing.connection
import sys
import time

import numpy as np

from ..calls import DEFAULT_CALL_TIMEOUT, Caller, TargetHung, TargetUnsupported
from ..compare import hex_bits
from ..convert import to_numpy, to_torch
from .sample import Probe, build_sample

__all__ = ["Observed", "Outcome", "observe"]

_START_TIMEOUT = 120.0  # seconds the child may take to import the target
_GRACE = 10.0  # beyond the per-call timeout, for a hang that the child's own timer cannot end


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one call did: returned ``values`` (an array) or raised ``raised``."""

    values: np.ndarray | None = None
    raised: str = ""

    def show(self, flat: int) -> str:
        if self.values is None:
            return f"raised {self.raised}"
        v = self.values.reshape(-1)[flat] if self.values.size > flat else None
        if v is None:
            return f"shape {self.values.shape}"
        return f"{float(v)!r} ({hex_bits(v, self.values.dtype)})"


@dataclasses.dataclass(frozen=True)
class Observed:
    """The target's outcomes on the sample, and why the observation ended early, if it did."""

    seen: tuple[tuple[Probe, Outcome], ...]
    unsupported: int = 0  # calls the target cannot express (NotImplementedError, no autograd)
    failed: str = ""  # a call hung or ended the process: what the fingerprint cannot cover

    def only(self, keep) -> Observed:
        """The same observation restricted to the probes ``keep(probe)`` accepts."""
        return dataclasses.replace(self, seen=tuple((p, o) for p, o in self.seen if keep(p)))


def _run_probe(target, probe: Probe, device: str) -> Outcome | None:
    x = to_torch(probe.inputs, device, requires_grad=probe.function == "ste_gradient")
    amax = to_torch(probe.amax, device)
    out = target.fake_tensor_quant(x, amax, probe.num_bits, probe.unsigned, probe.narrow_range)
    if probe.function == "fake_tensor_quant":
        return Outcome(to_numpy(out.detach()))
    if not getattr(out, "requires_grad", False):
        return None  # no autograd: the gradient cannot be observed
    out.backward(to_torch(probe.grad_output, device))
    return Outcome(to_numpy(x.grad))


def _call_target(target, probe: Probe, device: str, caller: Caller) -> Outcome | None:
    """The target's outcome on ``probe``; None when it cannot express the call; TargetHung."""
    try:
        return caller(lambda: _run_probe(target, probe, device), probe.describe())
    except TargetUnsupported:  # NotImplementedError
        return None
    except TargetHung:
        raise
    except (Exception, SystemExit) as exc:  # the target's own error is an outcome like any other
        return Outcome(raised=type(exc).__name__)


def _observe_here(target, device, probes, call_timeout, tell=None) -> Observed:
    caller = Caller(call_timeout)
    seen, unsupported = [], 0
    for i, probe in enumerate(probes):
        try:
            outcome = _call_target(target, probe, device, caller)
        except TargetHung as exc:
            return Observed(tuple(seen), unsupported, f"the target hung: {exc}")
        if outcome is None:
            unsupported += 1
        else:
            seen.append((probe, outcome))
        if tell is not None:
            tell(("outcome", i, outcome))
    return Observed(tuple(seen), unsupported)


def observe(target, device: str = "cpu", probes=None, *,
            call_timeout: float = DEFAULT_CALL_TIMEOUT, isolate: bool = True) -> Observed:
    """Run ``target`` (a conformance.targets.Target) once on ``probes`` (default: the sample).

    ``isolate`` runs the calls in a child process that loads the target by
    its spec (see the module docstring); without it they run here, each
    still under ``call_timeout``.
    """
    probes = build_sample() if probes is None else list(probes)
    spec = getattr(target, "spec", None)
    if not isolate or not isinstance(spec, str):
        return _observe_here(target, device, probes, call_timeout)
    return _observe_in_child(spec, device, probes, call_timeout)


# -- the child process ---------------------------------------------------------------------------


def _child(conn, spec: str, device: str, probes, call_timeout: float, sys_path) -> None:
    sys.path[:] = list(sys_path) or sys.path
    try:
        from ..targets import load_target

        target = load_target(spec)
    except BaseException as exc:  # whatever it is, the parent must hear of it
        conn.send(("failed", f"the target could not be loaded in a child process: "
                             f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready",))
    observed = _observe_here(target, device, probes, call_timeout, tell=conn.send)
    conn.send(("failed", observed.failed) if observed.failed else ("end",))


def _observe_in_child(spec, device, probes, call_timeout) -> Observed:
    from ..sweep.workers import describe_exit, worker_context

    ctx = worker_context()
    conn, child_end = ctx.Pipe()
    child = ctx.Process(target=_child, args=(child_end, spec, device, probes, call_timeout,
                                             tuple(sys.path)), daemon=True,
                        name="conformance-fingerprint")
    child.start()
    child_end.close()
    seen, unsupported, failed = [], 0, ""
    at, ready = 0, False  # the probe the child is on
    deadline = time.monotonic() + max(_START_TIMEOUT, call_timeout)
    try:
        while True:
            multiprocessing.connection.wait([conn, child.sentinel],
                                            max(0.0, deadline - time.monotonic()))
            try:
                message = conn.recv() if conn.poll() else None
            except (EOFError, OSError):
                message = None
            if message is not None:
                deadline = time.monotonic() + call_timeout + _GRACE
                if message[0] == "ready":
                    ready = True
                elif message[0] == "outcome":
                    _, i, outcome = message
                    at = i + 1
                    if outcome is None:
                        unsupported += 1
                    else:
                        seen.append((probes[i], outcome))
                elif message[0] == "failed":
                    failed = message[1]
                    break
                else:  # "end"
                    break
                continue
            during = (f"during {probes[at].function} ({probes[at].describe()})"
                      if ready and at < len(probes) else "while loading the target")
            if not child.is_alive():
                child.join()
                failed = f"the target's process {describe_exit(child.exitcode)} {during}"
                break
            if time.monotonic() > deadline:
                failed = f"the target stopped answering {during} (its process was killed)"
                break
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        conn.close()
    return Observed(tuple(seen), unsupported, failed)
