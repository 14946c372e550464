"""The docs report's content for one target: what ``python -m conformance report`` writes.

Runs the suite on the target (strict and with its declared variations),
fingerprints it, measures how far it is from the article per dtype and
plots that distance. A target whose package is missing is listed as not run,
with the install command.
"""

from __future__ import annotations

import os
import sys
import time

from ..calls import DEFAULT_CALL_TIMEOUT
from ..expectations import load_expectations
from ..fingerprint import fingerprint, observe
from ..runner import run_target
from ..targets import _BUILTIN, Target, TargetError, available_targets, load_target
from .distance import measure, plot

__all__ = ["BUILT_IN", "default_targets", "target_entry"]

#: The suite's own kernels, listed first: the article itself, then its GPU and Triton forms.
BUILT_IN = ("torch", "triton", "cupy")


def default_targets() -> list[str]:
    """The built-in targets, then the project's adapters in the order they were added, then
    every adapter another package registers through the entry points (by name)."""
    registered = available_targets()
    ordered = [*BUILT_IN, *_BUILTIN, *registered]
    return list(dict.fromkeys(n for n in ordered if n in registered))


def _findings(report) -> dict:
    """A run's JSON without its golden-vector payloads: the report is read, not replayed
    (``run --export-failures`` writes those), and one exhaustive FP8 gradient vector alone
    is megabytes."""
    data = report.to_json()
    data["results"] = [dict(r, vector=None) for r in data["results"]]
    return data


def target_entry(spec: str | Target, *, device: str, profile: str, out: str,
                 call_timeout: float = DEFAULT_CALL_TIMEOUT) -> dict:
    """One target's part of the report: verdicts, fingerprints, expectations, distance, plot.

    ``spec``: a target's name, or the target already loaded (the supervised
    child's). ``call_timeout``: seconds one call of the target may take, in the
    suite's runs and in the fingerprint (a hung target is reported, never
    waited for).
    """
    start = time.perf_counter()
    if isinstance(spec, Target):
        target = spec
    else:
        try:
            target = load_target(spec)
        except TargetError as exc:
            return {"spec": spec, "name": spec, "skipped": str(exc)}
    if device not in target.devices:  # nothing to check or fingerprint here: not run
        return {"spec": target.spec, "name": target.name, "skipped": (
            f"the target runs on {', '.join(target.devices)} only and this report ran on "
            f"{device}; run it there: python -m conformance report --device "
            f"{target.devices[0]} --target {target.spec}")}
    print(f"report: {target.spec} ...", file=sys.stderr)
    declared = run_target(target, device=device, profile=profile, call_timeout=call_timeout)
    strict = run_target(target, device=device, profile=profile, strict=True,
                        call_timeout=call_timeout)
    # in a child process, each call under the timeout: a target that hangs or ends its
    # process is reported as such (conformance.fingerprint.observe)
    observed = observe(target, device, call_timeout=call_timeout)
    fp = fingerprint(target, device, observed=observed)
    if not fp.fits and not fp.failed:  # does the per-tensor path alone fit? (paths that differ)
        per_tensor = observed.only(lambda probe: probe.amax.size == 1)
        fp_per_tensor = fingerprint(target, device, observed=per_tensor)
    else:
        fp_per_tensor = None
    expectations = (load_expectations(target.expectations, device)
                    if target.expectations else {})
    entry = {
        "spec": target.spec, "name": target.name, "variations": list(target.variations),
        "devices": list(target.devices), "exposes": sorted(target.exposes),
        "declared": _findings(declared), "strict": _findings(strict),
        "fingerprint": fp.to_json(),
        "fingerprint_per_tensor": fp_per_tensor and fp_per_tensor.to_json(),
        "expectations": {k: {"reason": v.reason, "evidence": v.evidence}
                         for k, v in expectations.items()},
    }
    table = measure(observed.seen)
    entry["distance"] = table
    if any(sum(v for b, v in row.items() if b != "equal") for row in table.values()):
        name = f"report_{target.spec.replace('-', '_').replace('.', '_')}.png"
        plot(target.name, table, os.path.join(out, name))
        entry["plot"] = name
    entry["seconds"] = round(time.perf_counter() - start, 1)
    return entry
