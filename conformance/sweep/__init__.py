"""Exhaustive sweeps: every input pattern of a dtype through a target and the reference.

``plan`` cuts the work into chunks, ``check`` (CPU) and ``cuda`` (GPU) judge
a chunk with the shared pieces of ``judge``, ``resume`` keeps what is done,
and ``run`` schedules the chunks over worker processes.
"""

from .plan import PATTERN_DTYPES, Shard, SweepPlan
from .run import SweepReport, default_jobs, run_sweep

__all__ = ["PATTERN_DTYPES", "Shard", "SweepPlan", "SweepReport", "default_jobs", "run_sweep"]
