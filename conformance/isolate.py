"""Each target in its own supervised process: how every command runs a target by default.

The command-line process never imports target code. For each target it
starts a child, ``python -m conformance.isolate``, which imports the suite,
takes the oracle's snapshot (``conformance.guard``), imports the target and
says what it is. Once every target has loaded (a target that cannot be used
is a usage error, before any work), each child in turn runs its job
(``conformance.jobs``) and streams its events back over a pipe. The parent:

* enforces each call's deadline, read from a small file the child writes
  (``conformance.calls.Watch``): a call that overruns, whatever it does
  (sleeping, deadlocked, a loop in C that holds the GIL), gets the child's
  process group killed at its ``--call-timeout`` and is reported as hung, and
  the items after it are not run; the import has ``--import-timeout``;
* reports a child that dies or exits (with any status, 0 too) before it
  finished an item as that item's failure, with the exit status and the last
  lines of the child's output, then starts a fresh child for the rest;
* drains the child's output all the time (a target that prints megabytes
  cannot block), keeping only its tail for messages;
* kills every child when it is done with it, however the run ends.

``InProcessTarget`` (``--in-process``) runs the same jobs in this process, for
debugging with the target's output in view: there a crash, an ``os._exit`` or
a loop that holds the GIL takes the whole run down.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from .calls import DEFAULT_CALL_TIMEOUT, DEFAULT_IMPORT_TIMEOUT, Watch, user_interrupted
from .targets import TargetError, printable

__all__ = ["ImportMisbehaved", "InProcessTarget", "SupervisedTarget", "close_all",
           "default_jobs", "describe_exit", "open_targets", "run_properties", "run_supervised"]


class ImportMisbehaved(TargetError):
    """Importing the target ended, hung, crashed or interrupted its process."""


def describe_exit(code: int) -> str:
    """A child's exit status in words."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the target's process was killed by {name} (exit status {code})"
    return f"the target's process exited with status {code}"


#: What the watch says while the child imports the suite, and how long that may take.
STARTING = "starting the target's process"
STARTUP_TIMEOUT = 300.0


def stall_limit(call_timeout: float) -> float:
    """CPU seconds a running child may compute outside any call without a sign of progress."""
    return max(600.0, 10 * call_timeout)


def quiet_limit(call_timeout: float) -> float:
    """Seconds a running child may sit idle (asleep, blocked) outside any call."""
    return max(60.0, 2 * call_timeout)


def _cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used (Linux ``/proc``; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


_LIVE: set = set()  # children not yet closed, killed at exit whatever happens


@atexit.register
def _kill_live_children() -> None:
    for child in list(_LIVE):
        child.close()


_EOF = object()


class _Quiet:
    """How long, and how busily, a child has gone without a sign of progress."""

    def __init__(self, pid: int):
        self.pid, self.beat = pid, None
        self.since, self.cpu = time.monotonic(), _cpu_seconds(pid)

    def stalled(self, beat: float, now: float, *, idle: float, busy: float) -> str | None:
        """Why the child counts as hung (None while it does not)."""
        cpu = _cpu_seconds(self.pid)
        if beat != self.beat:  # progress: count afresh
            self.beat, self.since, self.cpu = beat, now, cpu
            return None
        quiet = now - self.since
        if cpu is None or self.cpu is None:  # no CPU clock: wall time, generously
            return f"showed no progress for {busy:g} s" if quiet > busy else None
        used = cpu - self.cpu
        if used > busy:
            return f"computed for {used:.0f} CPU seconds"
        if quiet > idle and used < 1.0:
            return f"sat idle for {quiet:.0f} s"
        return None


class _Child:
    """One child process that imports ``spec`` and then runs one job."""

    def __init__(self, spec: str, *, call_timeout: float, import_timeout: float):
        self.spec, self.call_timeout, self.import_timeout = spec, call_timeout, import_timeout
        self._folder = tempfile.mkdtemp(prefix="conformance-")
        # Until the child starts importing the target (it then sets --import-timeout).
        self.watch = Watch.create(os.path.join(self._folder, "watch"), what=STARTING,
                                  timeout=STARTUP_TIMEOUT)
        read_fd, write_fd = os.pipe()
        env = dict(os.environ)  # the child imports the target as this process can
        env["PYTHONPATH"] = os.pathsep.join(
            [p for p in sys.path if p and os.path.isdir(p)] + [env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        job = {"spec": spec, "call_timeout": call_timeout, "import_timeout": import_timeout,
               "events": write_fd, "watch": self.watch.path, "parent": os.getpid()}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conformance.isolate", json.dumps(job)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), env=env, start_new_session=True)
        os.close(write_fd)
        _LIVE.add(self)
        self._events, self._buffer, self._crash = read_fd, b"", None
        self._output = bytearray()
        self._drainer = threading.Thread(target=self._drain, name="conformance-drain",
                                         daemon=True)
        self._drainer.start()

    # -- output and events ---------------------------------------------------------------

    def _drain(self) -> None:
        """Read the child's output as it comes, keeping the last 8 KiB."""
        stream = self.process.stdout
        while True:
            try:
                chunk = stream.read1(65536)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            self._output += chunk
            del self._output[:-8192]

    def output_tail(self, lines: int = 3) -> str:
        """The last lines the child printed, one line, safe to show."""
        text = bytes(self._output).decode("utf-8", "replace").strip().splitlines()
        return " | ".join(printable(line.strip(), 300) for line in text[-lines:] if line.strip())

    def _line(self, wait: float):
        """The next complete event line, ``_EOF``, or None when none came within ``wait``."""
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._events], [], [], wait)
            if not ready:
                return None
            chunk = os.read(self._events, 1 << 16)
            if not chunk:
                return _EOF
            self._buffer += chunk
            wait = 0
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def events(self, stall: float | None = None):
        """The child's events, the last being ``{"done": ...}`` or ``{"ended": reason, ...}``.

        ``ended`` also says whether the child ``hung`` (and was killed) and its ``output``.
        A call past its deadline is a hang. Outside calls, with ``stall`` (CPU seconds),
        so is a child that shows no progress (no call, example or case) while it sits
        idle for ``quiet_limit`` seconds or computes for ``stall`` CPU seconds: wall time
        alone would call a busy machine's slow but working child hung.
        """
        quiet = _Quiet(self.process.pid)
        verdict = None  # set once the child is killed; its last events are read first
        while True:
            line = self._line(0.05)
            if line is _EOF:
                yield verdict or self._ended()
                return
            if line is not None:
                try:
                    event = json.loads(line)
                except ValueError:
                    self.kill()
                    verdict = verdict or self._end("the target's process wrote unreadable data "
                                                   "to the suite's channel")
                    continue
                if "crash" in event:
                    self._crash = str(event["crash"])
                    continue
                yield event
                if "done" in event:
                    return
            if verdict is not None:
                continue
            deadline, timeout, beat, what = self.watch.read()
            now = time.monotonic()
            if deadline and now > deadline:
                self.kill()
                verdict = self._end(f"{what} did not return within {timeout:g} s, so the "
                                    "target's process was killed", hung=True)
            elif stall and not deadline:
                why = quiet.stalled(beat, now, idle=quiet_limit(self.call_timeout), busy=stall)
                if why:
                    self.kill()
                    verdict = self._end(f"the target's process {why} outside any call of the "
                                        "target, with no sign of progress, and was killed",
                                        hung=True)

    def _end(self, reason: str, hung: bool = False) -> dict:
        return {"ended": reason, "hung": hung, "output": self.output_tail()}

    def _ended(self) -> dict:
        """How the child ended, once its channel closed."""
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # it closed the channel but lives on
            self.kill()
            return self._end("the target's process closed its channel to the suite")
        self._drainer.join(timeout=2)
        return self._end(self._crash or describe_exit(code))

    # -- orders ----------------------------------------------------------------------------

    def _send(self, order: dict) -> None:
        try:
            self.process.stdin.write((json.dumps(order) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died: its events say how

    def wait_loaded(self):
        """The target's ``TargetInfo``; TargetError when it cannot be used."""
        from .jobs import TargetInfo

        for event in self.events():
            if "loaded" in event:
                return TargetInfo.from_json(event["loaded"])
            if "unusable" in event:
                kind = ImportMisbehaved if event.get("misbehaved") else TargetError
                raise kind(str(event["unusable"]))
            if "ended" in event:
                self.close()
                if event["hung"] and event["ended"].startswith(STARTING):
                    raise ImportMisbehaved(f"target {self.spec!r}: {event['ended']} (the "
                                           "suite's own imports were too slow)")
                if event["hung"]:
                    raise ImportMisbehaved(
                        f"importing target {self.spec!r} did not finish within "
                        f"{self.import_timeout:g} s; raise --import-timeout if it needs longer.")
                output = f"; its last output: {event['output']}" if event["output"] else ""
                raise ImportMisbehaved(f"importing target {self.spec!r} ended its process: "
                                       f"{event['ended']}{output}")
        raise ImportMisbehaved(f"target {self.spec!r}: its process said nothing")

    def go(self, job: str, params: dict, items: list) -> None:
        self._send({"job": job, "params": params, "items": items})

    def kill(self) -> None:
        """Kill the child and everything it started (its own process group)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()

    def close(self) -> None:
        self.kill()
        _LIVE.discard(self)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._events is not None:
            os.close(self._events)
            self._events = None
        self.watch.close()
        shutil.rmtree(self._folder, ignore_errors=True)


class SupervisedTarget:
    """A target in its own child process (see the module docstring)."""

    def __init__(self, spec: str, *, call_timeout: float = DEFAULT_CALL_TIMEOUT,
                 import_timeout: float = DEFAULT_IMPORT_TIMEOUT):
        self.spec, self.call_timeout, self.import_timeout = spec, call_timeout, import_timeout
        self._closed = False
        self._child: _Child | None = self._start()
        self.info = None

    def _start(self) -> _Child:
        if self._closed:  # closed from another thread (a cancelled shard): no fresh child
            raise TargetError(f"target {self.spec!r}: the run was stopped")
        return _Child(self.spec, call_timeout=self.call_timeout,
                      import_timeout=self.import_timeout)

    def wait_loaded(self):
        self.info = self._child.wait_loaded()
        return self.info

    def run(self, job: str, params: dict, items, on_event, *, noun: str = "item",
            stall: float | None = None) -> None:
        """Run ``job`` on ``items``; every item ends with one ``finished`` event.

        An item the child did not finish is ``lost`` (it crashed or hung there);
        after a hang the rest are ``not_run``; after a crash a fresh child goes on.
        """
        remaining = list(items)
        while remaining:
            if self._child is None:
                try:
                    self._child = self._start()
                    self._child.wait_loaded()
                except TargetError as exc:
                    self._child = None
                    for item in remaining:
                        on_event({"finished": item, "not_run": "not run: the target's process "
                                  f"could not be started again after it ended: {exc}"})
                    return
            child = self._child
            child.go(job, params, remaining)
            started, finished, last = None, set(), {}
            for last in child.events(stall):
                if "ended" in last or "done" in last:
                    break
                if "start" in last:
                    started = last["start"]
                if "finished" in last:
                    finished.add(last["finished"])
                on_event(last)
            child.close()
            self._child = None
            left = [item for item in remaining if item not in finished]
            if "ended" not in last:
                for item in left:
                    on_event({"finished": item, "not_run": "not run: the target's process "
                              "ended its job without reporting it"})
                return
            if not left:
                return
            hit = started if started in left else left[0]
            output = f"; its last output: {last['output']}" if last["output"] else ""
            reason = (last["ended"] if last["hung"]
                      else f"{last['ended']} while running this {noun}") + output
            on_event({"finished": hit, "lost": reason, "hung": last["hung"]})
            left.remove(hit)
            if last["hung"]:
                for item in left:
                    on_event({"finished": item, "not_run": f"not run: the target hung earlier "
                              f"({last['ended']})"})
                return
            remaining = left

    def close(self) -> None:
        self._closed = True
        child, self._child = self._child, None
        if child is not None:
            child.close()


class InProcessTarget:
    """A target imported into this process (``--in-process``): the same jobs, unsupervised."""

    def __init__(self, spec: str, *, call_timeout: float = DEFAULT_CALL_TIMEOUT,
                 import_timeout: float = DEFAULT_IMPORT_TIMEOUT):
        from . import guard
        from .jobs import load

        guard.protect(in_process=True)  # before the first target is imported
        self.spec = spec
        try:
            self.target, self.info = load(spec)
        except TargetError:
            raise
        except BaseException as exc:  # noqa: B036 - SystemExit or KeyboardInterrupt at import
            if isinstance(exc, KeyboardInterrupt) and user_interrupted():
                raise
            raise ImportMisbehaved(f"importing target {spec!r} raised {type(exc).__name__}"
                                   f"({exc}): a target's import must not exit or interrupt "
                                   "the program") from None

    def run(self, job: str, params: dict, items, on_event, *, noun: str = "item",
            stall: float | None = None) -> None:
        from .jobs import JOBS

        # Through JSON, as from a child: the same events either way.
        JOBS[job](self.target, params, list(items),
                  lambda event: on_event(json.loads(json.dumps(event, default=str))))

    def close(self) -> None:
        pass


def open_targets(specs, *, in_process: bool = False, call_timeout: float = DEFAULT_CALL_TIMEOUT,
                 import_timeout: float = DEFAULT_IMPORT_TIMEOUT) -> list:
    """Every target loaded (children import side by side); TargetError if one cannot be used."""
    kind = InProcessTarget if in_process else SupervisedTarget
    handles = []
    try:
        for spec in specs:
            handles.append(kind(spec, call_timeout=call_timeout, import_timeout=import_timeout))
        for handle in handles:
            if isinstance(handle, SupervisedTarget):
                handle.wait_loaded()
    except BaseException:
        close_all(handles)
        raise
    return handles


def close_all(handles) -> None:
    for handle in handles:
        handle.close()


def default_jobs() -> int:
    """Processes per target by default: one per CPU this process may use, at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def _shards(names: list[str], jobs: int) -> list[list[str]]:
    """``names`` dealt round-robin: the registry puts the costly array properties first and
    the cheap contract ones last, so dealing balances the shards within a second."""
    return [shard for shard in (names[i::jobs] for i in range(jobs)) if shard]


def _run_shards(handle, job: str, params: dict, shards: list, on_event, **options) -> None:
    """Each shard in its own supervised process of the same target, side by side.

    The first shard runs in ``handle``'s process; the others in fresh processes of the
    same target, started at once so that their imports overlap the first shard's work
    (each imports the target, so the oracle's guard and the call deadlines hold in
    each). A process that cannot start leaves its shard to ``handle`` afterwards.
    However the run ends (Ctrl-C too), every extra process is killed before this returns.
    """
    extras = [SupervisedTarget(handle.spec, call_timeout=handle.call_timeout,
                               import_timeout=handle.import_timeout) for _ in shards[1:]]
    left, failed = [], []

    def run_extra(extra, shard):
        try:
            try:
                extra.wait_loaded()
            except TargetError:
                left.extend(shard)
                return
            if extra.info.problems:  # what this import changed in the oracle's process
                on_event({"problems": list(extra.info.problems)})
            extra.run(job, params, shard, on_event, **options)
        except Exception as exc:  # re-raised in the calling thread, unless it is cancelled
            failed.append(exc)

    threads = [threading.Thread(target=run_extra, args=pair, name="conformance-shard",
                                daemon=True) for pair in zip(extras, shards[1:], strict=True)]
    try:
        for thread in threads:
            thread.start()
        handle.run(job, params, shards[0], on_event, **options)
        for thread in threads:
            thread.join()
    finally:
        for extra in extras:
            extra.close()
    if failed:
        raise failed[0]
    if left:
        handle.run(job, params, left, on_event, **options)


def run_properties(handle, *, device: str = "cpu", profile: str = "ci", seed=None,
                   properties=None, strict: bool = False,
                   call_timeout: float = DEFAULT_CALL_TIMEOUT, on_start=None, on_result=None,
                   jobs: int = 1):
    """``run_target`` through a handle: the target's ``TargetReport``, built from its events.

    ``jobs`` > 1 splits the properties over that many processes of a supervised target
    (the verdicts are the same: every property draws its examples from its own seed).
    """
    from .properties import PROPERTIES
    from .runner import PropertyResult, TargetReport, select_properties

    names = select_properties(properties)
    results, problems, began = {}, list(handle.info.problems), {}
    lock = threading.Lock()  # shards report from their own threads

    def on_event(event):
        with lock:
            _on_event(event)

    def _on_event(event):
        if "start" in event:
            began[event["start"]] = time.perf_counter()
            if on_start is not None:
                on_start(event["start"])
        elif "problems" in event:
            problems.extend(p for p in event["problems"] if p not in problems)
        elif "finished" in event:
            name = event["finished"]
            if "result" in event:
                result = PropertyResult.from_json(event["result"])
            elif "lost" in event:
                reason = ("the target hung: " if event["hung"] else "") + event["lost"]
                result = PropertyResult(name, "fail", reason, rule=PROPERTIES[name].rule,
                                        duration=time.perf_counter() - began.get(name, 0.0))
            else:
                result = PropertyResult(name, "error", event["not_run"],
                                        rule=PROPERTIES[name].rule)
            results[name] = result
            if on_result is not None:
                on_result(result)

    params = {"device": device, "profile": profile, "seed": seed, "strict": strict,
              "call_timeout": call_timeout}
    options = {"noun": "property", "stall": stall_limit(call_timeout)}
    shards = _shards(names, jobs if isinstance(handle, SupervisedTarget) else 1)
    if len(shards) > 1:
        _run_shards(handle, "properties", params, shards, on_event, **options)
    else:
        handle.run("properties", params, names, on_event, **options)
    info = handle.info
    return TargetReport(info.spec, info.name, device, profile,
                        tuple(results[n] for n in names if n in results), info.variations,
                        strict, tuple(problems))


def run_supervised(spec: str, *, in_process: bool = False,
                   import_timeout: float = DEFAULT_IMPORT_TIMEOUT, **options):
    """One target's ``TargetReport``, run in its own supervised process (``run_target``'s
    options: device, profile, seed, properties, strict, call_timeout, on_start, on_result)."""
    handles = open_targets([spec], in_process=in_process, import_timeout=import_timeout,
                           call_timeout=options.get("call_timeout", DEFAULT_CALL_TIMEOUT))
    try:
        return run_properties(handles[0], **options)
    finally:
        close_all(handles)


# -- the child ---------------------------------------------------------------------------

def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when the parent dies (Linux), so a child
    never outlives the run, even one stuck in a loop that holds the GIL."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _child_main(job: dict) -> None:
    """In the child: import the suite and the target, then run the job the parent sends."""
    _die_with_parent(job["parent"])
    control = os.fdopen(os.dup(0), "r")  # orders; the target's stdin is empty
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    channel = os.fdopen(job["events"], "w", encoding="utf-8")

    def emit(event) -> None:
        channel.write(json.dumps(event, default=str) + "\n")
        channel.flush()

    from . import calls, guard, jobs

    watch = Watch(job["watch"], call_timeout=job["call_timeout"])
    calls.supervise(watch)
    calls.watch_interrupts(signals=False)  # no Ctrl-C reaches this process: any is the target's
    guard.protect(in_process=False)
    watch.begin("importing the target", job["import_timeout"])
    try:
        target, info = jobs.load(job["spec"])
    except TargetError as exc:
        emit({"unusable": str(exc), "misbehaved": False})
        os._exit(0)
    except BaseException as exc:  # noqa: B036 - SystemExit or KeyboardInterrupt at import
        emit({"unusable": f"importing target {job['spec']!r} raised {type(exc).__name__}({exc}): "
                          "a target's import must not exit or interrupt the program",
              "misbehaved": True})
        os._exit(0)
    watch.end()
    emit({"loaded": info.to_json()})
    order = control.readline()
    if order:
        order = json.loads(order)
        try:
            jobs.JOBS[order["job"]](target, order["params"], order["items"], emit)
        except Exception:  # a failure of the suite itself: say where
            emit({"crash": "the suite failed in the target's process: "
                           + traceback.format_exc(limit=-3).strip().replace("\n", " | ")})
            os._exit(70)
        except BaseException as exc:  # noqa: B036 - SystemExit from target code
            emit({"crash": f"the target raised {type(exc).__name__}({exc}): a kernel must "
                           "never exit or interrupt its caller's program"})
            os._exit(70)
        emit({"done": True})
    # Threads the target started (or a stuck call) must not keep the child alive.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    _child_main(json.loads(sys.argv[1]))
