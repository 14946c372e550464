"""A sweep's ledger: what it found, configuration by configuration, each chunk counted once.

Every engine (the local worker pool, a Dask cluster) reports chunk results
in whatever order they finish. The ledger folds them so that no count ever
doubles: an outcome for a chunk already judged is ignored, whoever sends
it. A failure for a chunk already checked is kept (a worker that dies
after its last call returned blames the chunk it finished last: the
target ended its process), so the verdict is FAIL, and the counts stay. A
resumed sweep starts from the ledger its resume file kept. Tallies are kept per configuration so that a grid's verdict
says which configurations fail, with their first mismatches.
"""

from __future__ import annotations

import dataclasses

from .judge import ChunkFailure, ChunkOutcome, SweepMismatch
from .plan import SweepPlan
from .ranges import ChunkRanges

__all__ = ["ConfigTally", "Ledger"]


@dataclasses.dataclass(frozen=True)
class ConfigTally:
    """One configuration's checked chunks, summed: inputs, mismatches, the first few."""

    inputs: int = 0
    mismatch_count: int = 0
    mismatches: tuple[SweepMismatch, ...] = ()  # the first ``keep``, in chunk order

    def add(self, outcome: ChunkOutcome, keep: int) -> ConfigTally:
        found = sorted(self.mismatches + outcome.mismatches[:keep], key=lambda m: m.chunk)
        return ConfigTally(self.inputs + outcome.inputs,
                           self.mismatch_count + outcome.mismatch_count, tuple(found[:keep]))

    def as_dict(self) -> dict:
        return {"inputs": self.inputs, "mismatch_count": self.mismatch_count,
                "mismatches": [m.as_dict() for m in self.mismatches]}

    @classmethod
    def from_dict(cls, data: dict) -> ConfigTally:
        return cls(int(data["inputs"]), int(data["mismatch_count"]),
                   tuple(SweepMismatch.from_dict(m) for m in data["mismatches"]))


class Ledger:
    """The chunks checked and failed, and each configuration's tally.

    ``record`` takes one engine result and says whether it counted (False:
    an outcome for a chunk judged already, by this run or a resumed one, or
    a second failure of a chunk).
    """

    def __init__(self, plan: SweepPlan, keep: int, *, checked: ChunkRanges | None = None,
                 failures=(), tallies: dict[int, ConfigTally] | None = None):
        self.plan = plan
        self.keep = keep
        self.checked = ChunkRanges(checked.ranges() if checked else ())
        self.failures: list[ChunkFailure] = list(failures)
        self.tallies: dict[int, ConfigTally] = dict(tallies or {})
        self.failed = {f.chunk for f in self.failures}
        self.judged = ChunkRanges(self.checked.ranges())
        for chunk in self.failed:
            # a failed chunk stays failed (see conformance.sweep.resume)
            self.judged.add(chunk)

    def config_of(self, chunk: int) -> int:
        return chunk // self.plan.chunks_per_config

    def record(self, result: ChunkOutcome | ChunkFailure) -> bool:
        if isinstance(result, ChunkFailure):
            if result.chunk in self.failed:
                return False
            self.failed.add(result.chunk)
            self.failures.append(result)
            self.judged.add(result.chunk)
            return True
        if result.chunk in self.judged:
            return False
        self.judged.add(result.chunk)
        self.checked.add(result.chunk)
        index = self.config_of(result.chunk)
        self.tallies[index] = self.tallies.get(index, ConfigTally()).add(result, self.keep)
        return True

    @property
    def inputs(self) -> int:
        return sum(t.inputs for t in self.tallies.values())

    @property
    def mismatch_count(self) -> int:
        return sum(t.mismatch_count for t in self.tallies.values())

    @property
    def mismatches(self) -> tuple[SweepMismatch, ...]:
        """The first ``keep`` mismatches of the whole sweep, in chunk order."""
        every = [m for t in self.tallies.values() for m in t.mismatches]
        return tuple(sorted(every, key=lambda m: m.chunk)[: self.keep])
