"""What a command does with one loaded target, in the process that imported it.

A job runs where the target was imported: in its supervised child process
(``conformance.isolate``, the default) or in this process (``--in-process``);
the code is the same. Each job is ``job(target, params, items, emit)``: it
works through ``items`` in order (property names, vector case ids, or the one
fingerprint or report entry), emitting ``{"start": item}`` before each and
``{"finished": item, ...}`` with its outcome after, so that the parent knows
which item a crash or a hang hit. Events are JSON objects.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import guard
from .calls import TargetAborted, TargetHung, heartbeat, user_interrupted, watched
from .expectations import load_expectations
from .fingerprint import fingerprint, render
from .properties.golden import load_cases, not_applicable, snippet
from .properties.golden import replay as replay_case
from .report.build import target_entry
from .runner import make_context, run_target
from .targets import load_target, printable

__all__ = ["JOBS", "TargetInfo", "load"]


@dataclasses.dataclass(frozen=True)
class TargetInfo:
    """What the parent needs to know of a target it does not import itself."""

    spec: str
    name: str
    devices: tuple[str, ...]
    variations: tuple[str, ...]
    problems: tuple[str, ...] = ()  # what its import changed that the oracle relies on

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> TargetInfo:
        """From a child's message: names are made printable again (never trust a child)."""
        return cls(printable(data["spec"]), printable(data["name"]),
                   tuple(map(str, data["devices"])), tuple(map(str, data["variations"])),
                   tuple(map(str, data["problems"])))


def load(spec: str):
    """``(target, TargetInfo)``; TargetError (a usage error) when it cannot be used.

    The expectations file is read here too, so a bad one stops the run before
    any work. Call ``guard.protect()`` first: what the import changes is then
    reported and undone.
    """
    target = _watched(load_target(spec))
    problems = guard.after_import(target.spec)
    if target.expectations:
        load_expectations(target.expectations)
    return target, TargetInfo(target.spec, target.name, target.devices, target.variations,
                              problems)


def _watched(target):
    """``target`` with each of its functions under the supervising parent's deadline,
    wherever a check calls it from (the same target when not supervised)."""
    functions = {f.name: getattr(target, f.name) for f in dataclasses.fields(target)}
    return dataclasses.replace(target, **{
        name: watched(fn, f"{name}()") for name, fn in functions.items()
        if name != "obj" and callable(fn) and not isinstance(fn, type)})


def _oracle_changes(snapshot) -> str | None:
    changed = snapshot.check()
    return None if not changed else (
        "the target changed the process the oracle runs in, so this cannot be trusted: "
        + guard.changed_by(changed))


def _target_raised(exc: BaseException) -> str:
    """A non-Exception the target raised outside a supervised call, in words."""
    if isinstance(exc, KeyboardInterrupt) and user_interrupted():
        raise exc
    return (f"the target raised {type(exc).__name__}({exc}): a kernel must never exit or "
            "interrupt its caller's program")


def properties(target, params, items, emit):
    """Run the properties ``items`` (``run``, the pytest plugin)."""
    report = run_target(
        target, properties=items, device=params["device"], profile=params["profile"],
        seed=params["seed"], strict=params["strict"], call_timeout=params["call_timeout"],
        on_start=lambda name: emit({"start": name}),
        on_result=lambda r: emit({"finished": r.property, "result": r.to_json()}),
        on_example=heartbeat)
    emit({"problems": list(report.problems)})


def replay(target, params, items, emit):
    """Replay the vector cases ``items`` of ``params["directory"]`` (``replay``)."""
    cases = {c.id: c for c in load_cases(params["directory"])}
    ctx = make_context(target, device=params["device"], strict=params["strict"],
                       call_timeout=params["call_timeout"])
    snapshot = guard.snapshot()
    for n, cid in enumerate(items):
        emit({"start": cid})
        heartbeat()
        vcase = cases[cid]
        reason = not_applicable(ctx, vcase)
        if reason:
            emit({"finished": cid, "skipped": reason})
            continue
        try:
            with np.errstate(all="ignore"):
                message = replay_case(ctx, vcase)
        except (TargetHung, TargetAborted) as exc:
            message = f"the target hung: {exc}" if isinstance(exc, TargetHung) else str(exc)
        except Exception as exc:  # target code outside a call (a descriptor's property)
            message = f"the replay raised {type(exc).__name__}: {exc}"
        except BaseException as exc:  # noqa: B036 - SystemExit from target code
            message = _target_raised(exc)
        message = _oracle_changes(snapshot) or message
        event = {"finished": cid, "message": message}
        if message:
            event["snippet"] = snippet(ctx, vcase, message)
        emit(event)
        if ctx.caller.hung is not None:  # in process: the worker is stuck; call no more
            for rest in items[n + 1:]:
                emit({"finished": rest, "not_run": f"not run: the target hung earlier "
                                                   f"({ctx.caller.hung})"})
            return


def _single(item, emit, work):
    """One item whose outcome ``work()`` returns as a dict; a failure is the item's."""
    emit({"start": item})
    snapshot = guard.snapshot()
    try:
        outcome = work()
    except Exception as exc:
        emit({"finished": item, "lost": f"{type(exc).__name__}: {exc}", "hung": False})
        return
    except BaseException as exc:  # noqa: B036 - SystemExit from target code
        emit({"finished": item, "lost": _target_raised(exc), "hung": False})
        return
    changed = _oracle_changes(snapshot)
    emit({"finished": item, **outcome, "problems": [changed] if changed else []})


def fingerprint_job(target, params, items, emit):
    """The target's fingerprint (``fingerprint``)."""
    def work():
        # Under supervision the child is the isolation (its calls are watched by the
        # parent); in process, the fingerprint keeps its own child for the target's calls.
        fp = fingerprint(target, params["device"], per_channel=params["per_channel"],
                         isolate=params.get("in_process", False))
        return {"fits": fp.fits, "text": render(target, fp), "fingerprint": fp.to_json()}

    _single(items[0], emit, work)


def report_entry(target, params, items, emit):
    """The target's part of the docs report (``report``)."""
    _single(items[0], emit, lambda: {"entry": target_entry(
        target, device=params["device"], profile=params["profile"], out=params["out"],
        call_timeout=params["call_timeout"])})


JOBS = {"properties": properties, "replay": replay, "fingerprint": fingerprint_job,
        "report": report_entry}

