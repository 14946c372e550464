"""A sweep's verdict: over the whole requested range, and per configuration of its grid.

* FAIL: a mismatch, or a chunk that failed (its worker died, a call hung,
  or the target raised SystemExit / KeyboardInterrupt);
* INCOMPLETE: no mismatch, but some chunk of the requested range was not
  checked (interrupted, stopped early, or a worker could not start);
* PASS: every chunk of the requested range was checked, with no mismatch.

A configuration's verdict follows the same rule over its own chunks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from .judge import ChunkFailure, SweepMismatch
from .ledger import ConfigTally
from .plan import Shard, SweepPlan
from .ranges import ChunkRanges

__all__ = ["ConfigVerdict", "SweepReport", "verdict_of"]


def verdict_of(*, mismatches: int, failures: int, missing: int) -> str:
    """The one rule of every sweep verdict (see the module docstring)."""
    if mismatches or failures:
        return "FAIL"
    return "INCOMPLETE" if missing else "PASS"


@dataclasses.dataclass(frozen=True)
class ConfigVerdict:
    """One configuration of a sweep: its requested chunks ``[start, end)`` and what they found."""

    index: int
    config: object  # the plan's function's configuration (conformance.sweep.functions)
    start: int
    end: int
    checked: int  # chunks
    failures: tuple[ChunkFailure, ...]
    tally: ConfigTally

    @property
    def missing(self) -> int:
        """Chunks of this configuration not checked (failed ones included)."""
        return self.end - self.start - self.checked

    @property
    def verdict(self) -> str:
        return verdict_of(mismatches=self.tally.mismatch_count, failures=len(self.failures),
                          missing=self.missing)

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "config": self.config.as_dict(),
            "describe": self.config.describe(),
            "requested": [self.start, self.end],
            "chunks_checked": self.checked,
            "failed_chunks": [f.chunk for f in self.failures],
            "chunks_missing": self.missing,
            "inputs": self.tally.inputs,
            "mismatch_count": self.tally.mismatch_count,
            "mismatches": [m.as_dict() for m in self.tally.mismatches],
            "verdict": self.verdict,
        }


@dataclasses.dataclass(frozen=True)
class SweepReport:
    """The verdict of one sweep (or one shard of it) over the chunks ``[start, end)``."""

    target: str
    plan: SweepPlan
    shard: Shard
    start: int  # the requested chunks: [start, end)
    end: int
    checked: ChunkRanges  # chunks checked, by this run and the runs it resumed
    failures: tuple[ChunkFailure, ...]  # chunks that could not be checked, with the cause
    inputs: int  # inputs checked, this run and the runs it resumed
    mismatch_count: int
    mismatches: tuple[SweepMismatch, ...]  # the first few, in chunk order
    seconds: float  # this run's wall time
    run_chunks: int = 0  # chunks checked by this run alone
    run_inputs: int = 0  # inputs checked by this run alone
    interrupted: bool = False
    stopped: str = ""  # why this run stopped before its last chunk ("" if it did not)
    device: str = "cpu"
    tallies: Mapping[int, ConfigTally] = dataclasses.field(default_factory=dict)  # by config
    engine: str = ""  # what checked the chunks: the local worker pool, a Dask cluster
    dashboard: str = ""  # Dask's dashboard, where a cluster ran the sweep

    @property
    def covered(self) -> ChunkRanges:
        """The requested chunks that were checked."""
        return self.checked.within(self.start, self.end)

    @property
    def missing(self) -> ChunkRanges:
        """The requested chunks that were not checked (failed ones included)."""
        return self.checked.missing(self.start, self.end)

    @property
    def verdict(self) -> str:
        return verdict_of(mismatches=self.mismatch_count, failures=len(self.failures),
                          missing=len(self.missing) or self.interrupted)

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    @property
    def inputs_per_second(self) -> float:
        return self.run_inputs / self.seconds if self.seconds else 0.0

    def configurations(self) -> list[ConfigVerdict]:
        """The verdict of each configuration with a chunk in the requested range."""
        per = self.plan.chunks_per_config
        if self.end <= self.start:
            return []
        verdicts = []
        for index in range(self.start // per, math.ceil(self.end / per)):
            lo, hi = max(self.start, index * per), min(self.end, (index + 1) * per)
            verdicts.append(ConfigVerdict(
                index, self.plan.configs[index], lo, hi, len(self.checked.within(lo, hi)),
                tuple(f for f in self.failures if lo <= f.chunk < hi),
                self.tallies.get(index, ConfigTally()),
            ))
        return verdicts

    def to_json(self) -> dict:
        """The report as JSON data (``sweep --json``): chunk sets as ``[lo, hi)`` pairs."""
        configs = [c.to_json() for c in self.configurations()]
        return {
            "target": self.target,
            "device": self.device,
            "engine": self.engine,
            "dashboard": self.dashboard,
            "function": self.plan.function,
            "dtype": self.plan.dtype,
            "configurations": len(self.plan.configs),
            "chunk_size": self.plan.chunk_size,
            "chunk_count": self.plan.chunk_count,
            "shard": str(self.shard),
            "requested": [self.start, self.end],
            "checked": [list(r) for r in self.covered.ranges()],
            "missing": [list(r) for r in self.missing.ranges()],
            "chunks_checked": len(self.covered),
            "run_chunks": self.run_chunks,
            "failures": [dataclasses.asdict(f) for f in self.failures],
            "inputs": self.inputs,
            "run_inputs": self.run_inputs,
            "seconds": self.seconds,
            "inputs_per_second": self.inputs_per_second,
            "mismatch_count": self.mismatch_count,
            "mismatches": [m.as_dict() for m in self.mismatches],
            "config_verdicts": {v: sum(c["verdict"] == v for c in configs)
                                for v in ("PASS", "FAIL", "INCOMPLETE")},
            "per_configuration": configs,
            "stopped": self.stopped,
            "verdict": self.verdict,
            "passed": self.passed,
        }
