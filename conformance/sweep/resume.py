"""Resume files: where an interrupted sweep stopped, and what it had found.

The file is JSON, rewritten atomically (temporary file + rename) so a
killed sweep never leaves half a file. It records the sweep's identity
(target, plan, shard) so that a file is never applied to another sweep.
"""

from __future__ import annotations

import dataclasses
import json
import os

from ..errors import UsageError

__all__ = ["ResumeState", "load_resume", "save_resume"]

_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ResumeState:
    """The next chunk to check, and the tallies of the chunks before it."""

    identity: dict
    next_chunk: int
    inputs: int = 0
    mismatch_count: int = 0
    mismatches: tuple = ()  # SweepMismatch.as_dict() of the first few
    complete: bool = False


def load_resume(path: str, identity: dict) -> ResumeState | None:
    """The state in ``path`` (None if it does not exist yet); it must be this sweep's."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        state = ResumeState(
            identity=data["identity"], next_chunk=int(data["next_chunk"]),
            inputs=int(data["inputs"]), mismatch_count=int(data["mismatch_count"]),
            mismatches=tuple(data["mismatches"]), complete=bool(data["complete"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"--resume {path}: not a sweep resume file ({type(exc).__name__}: {exc}); "
            "delete it or name another file."
        ) from None
    if data.get("version") != _VERSION or state.identity != identity:
        raise UsageError(
            f"--resume {path} belongs to another sweep (different target, dtype, "
            "configurations, chunk size or shard); delete it or name another file."
        )
    return state


def save_resume(path: str, state: ResumeState) -> None:
    data = {"version": _VERSION, **dataclasses.asdict(state)}
    data["mismatches"] = list(state.mismatches)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
