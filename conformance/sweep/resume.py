"""Resume files: exactly which chunks a sweep has checked, and what it found.

The file is JSON, rewritten atomically (temporary file + rename) so a
killed sweep never leaves half a file. It records the sweep's identity
(target, strictness, plan, shard), so that a file is never applied to
another sweep, and the chunks checked as ranges, so that a sweep begun at
``start_chunk=K`` never counts the chunks before K as checked: a later run
with the same file checks what is missing and no more.

Chunks that failed (their worker died, hung, or raised past the checks)
are recorded with their cause and are not checked again on resume: the
sweep's verdict stays FAIL until the file is deleted.

The tallies (inputs, mismatch counts, first mismatches) are kept per
configuration, so that a resumed grid sweep still says which configurations
fail. The file does not depend on the engine: a sweep begun on this
machine's worker pool may be resumed on a Dask cluster, and the reverse.
"""

from __future__ import annotations

import dataclasses
import json
import os

from ..errors import UsageError
from .judge import ChunkFailure
from .ledger import ConfigTally
from .ranges import ChunkRanges

__all__ = ["ResumeState", "load_resume", "save_resume"]

_VERSION = 3  # 3: tallies per configuration; 2: one tally for the whole sweep


@dataclasses.dataclass(frozen=True)
class ResumeState:
    """The chunks checked so far, the chunks that failed, and each configuration's tally."""

    identity: dict
    done: ChunkRanges = dataclasses.field(default_factory=ChunkRanges)
    failures: tuple[ChunkFailure, ...] = ()
    tallies: dict[int, ConfigTally] = dataclasses.field(default_factory=dict)  # by config index


def load_resume(path: str, identity: dict) -> ResumeState | None:
    """The state in ``path`` (None if it does not exist yet); it must be this sweep's."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        version = data.get("version")
        if version == _VERSION:
            state = ResumeState(
                identity=data["identity"],
                done=ChunkRanges((int(lo), int(hi)) for lo, hi in data["done"]),
                failures=tuple(ChunkFailure(int(f["chunk"]), str(f["cause"]))
                               for f in data["failures"]),
                tallies={int(t["config"]): ConfigTally.from_dict(t) for t in data["tallies"]},
            )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            f"resume file {path} is not a sweep resume file ({type(exc).__name__}: {exc}); "
            "delete it or name another file."
        ) from None
    if version != _VERSION:
        raise UsageError(
            f"resume file {path} has format version {version!r}, this suite reads version "
            f"{_VERSION} (which records exactly which chunks were checked, and the tallies of each "
            "configuration); delete it to start "
            "the sweep over, or name another file."
        )
    if state.identity != identity:
        raise UsageError(
            f"resume file {path} belongs to another sweep (different target, strictness, "
            "dtype, configurations, chunk size or shard); delete it or name another file."
        )
    return state


def save_resume(path: str, state: ResumeState) -> None:
    data = {
        "version": _VERSION,
        "identity": state.identity,
        "done": [list(r) for r in state.done.ranges()],
        "failures": [dataclasses.asdict(f) for f in state.failures],
        "tallies": [{"config": index, **tally.as_dict()}
                    for index, tally in sorted(state.tallies.items())],
        # the totals, for a person reading the file (loading sums the tallies)
        "inputs": sum(t.inputs for t in state.tallies.values()),
        "mismatch_count": sum(t.mismatch_count for t in state.tallies.values()),
    }
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
