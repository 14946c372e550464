"""``--isolate``: each target in its own process, so a crash is one failed property.

A kernel that kills its process (a segfault, a CUDA device-side assert,
``os._exit``) would take the whole run down. Here a child process
(``python -m conformance.isolate``) runs the target and appends one JSON line
per event to a progress file; the parent reads it. When the child dies, the
property it had started fails with the exit status, and a fresh child goes on
with the remaining properties. A child that shows no progress for
``stall_timeout`` seconds (a hang that holds the interpreter) is killed the
same way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from .calls import DEFAULT_CALL_TIMEOUT
from .properties import PROPERTIES
from .runner import PropertyResult, TargetReport, select_properties

__all__ = ["run_target_isolated"]


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the target's process was killed by {name} (exit status {code})"
    return f"the target's process exited with status {code}"


def run_target_isolated(spec: str, *, name: str, device="cpu", profile="ci", seed=None,
                        properties=None, strict=False, call_timeout=DEFAULT_CALL_TIMEOUT,
                        stall_timeout: float | None = None, on_start=None, on_result=None,
                        on_example=None, variations=()) -> TargetReport:
    """Like ``run_target``, for the target named ``spec``, in child processes."""
    remaining = select_properties(properties)
    stall_timeout = stall_timeout or max(120.0, 3 * call_timeout)
    results: list[PropertyResult] = []
    while remaining:
        done = _run_child(spec, remaining, device, profile, seed, strict, call_timeout,
                          stall_timeout, on_start, on_result, on_example)
        results += done
        finished = {r.property for r in done}
        if not done:  # the child died before it started anything
            break
        remaining = [n for n in remaining if n not in finished]
    return TargetReport(spec, name, device, profile, tuple(results), tuple(variations), strict)


def _run_child(spec, names, device, profile, seed, strict, call_timeout, stall_timeout,
               on_start, on_result, on_example) -> list[PropertyResult]:
    fd, progress = tempfile.mkstemp(prefix="conformance-", suffix=".jsonl")
    os.close(fd)
    job = {"spec": spec, "properties": names, "device": device, "profile": profile,
           "seed": seed, "strict": strict, "call_timeout": call_timeout, "progress": progress}
    # The child imports the target as this process can: same sys.path.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p and os.path.isdir(p)]
                                        + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    child = subprocess.Popen([sys.executable, "-m", "conformance.isolate", json.dumps(job)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    results, started, offset, last_progress = [], None, 0, time.monotonic()
    stderr_tail = b""
    try:
        while True:
            alive = child.poll() is None
            with open(progress, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            offset += len(complete)
            for line in complete.splitlines():
                event = json.loads(line)
                last_progress = time.monotonic()
                if "start" in event:
                    started = event["start"]
                    if on_start:
                        on_start(started)
                elif "example" in event:
                    if on_example:
                        on_example()
                elif "result" in event:
                    result = PropertyResult.from_json(event["result"])
                    results.append(result)
                    started = None
                    if on_result:
                        on_result(result)
                elif "error" in event:
                    raise _child_usage_error(event["error"])
            if not alive:
                break
            if time.monotonic() - last_progress > stall_timeout:
                child.kill()
                child.wait()
                if started is not None:
                    result = PropertyResult(started, "fail", f"the target made no progress for "
                                            f"{stall_timeout:g} s and its process was killed",
                                            rule=PROPERTIES[started].rule)
                    results.append(result)
                    if on_result:
                        on_result(result)
                return results
            time.sleep(0.05)
        stderr_tail = child.stderr.read()[-2000:] if child.stderr else b""
        if child.returncode != 0 and started is not None:
            detail = stderr_tail.decode(errors="replace").strip().splitlines()[-3:]
            reason = _describe_exit(child.returncode) + " while running this property"
            if detail:
                reason += ": " + " | ".join(detail)
            result = PropertyResult(started, "fail", reason, rule=PROPERTIES[started].rule)
            results.append(result)
            if on_result:
                on_result(result)
        elif child.returncode != 0 and not results:
            detail = stderr_tail.decode(errors="replace").strip()[-500:]
            results = [PropertyResult(n, "error", f"{_describe_exit(child.returncode)} before "
                                      f"running any property: {detail}") for n in names]
        return results
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.unlink(progress)


def _child_usage_error(message):
    from .errors import UsageError

    return UsageError(message)


def _child_main(job: dict) -> int:
    """Run in the child: load the target, run, append events to the progress file."""
    from .errors import UsageError
    from .runner import run_target
    from .targets import load_target

    with open(job["progress"], "a", encoding="utf-8") as out:
        def emit(event):
            out.write(json.dumps(event) + "\n")
            out.flush()

        last = [0.0]

        def on_example():
            now = time.monotonic()
            if now - last[0] > 0.5:  # a heartbeat, not a line per example
                last[0] = now
                emit({"example": True})

        try:
            target = load_target(job["spec"])
            run_target(target, device=job["device"], profile=job["profile"], seed=job["seed"],
                       properties=job["properties"], strict=job["strict"],
                       call_timeout=job["call_timeout"],
                       on_start=lambda n: emit({"start": n}),
                       on_result=lambda r: emit({"result": r.to_json()}),
                       on_example=on_example)
        except UsageError as exc:
            emit({"error": str(exc)})
            return 2
    # Threads stuck in a hung target must not keep the child alive.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(_child_main(json.loads(sys.argv[1])))
