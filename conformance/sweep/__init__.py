"""Exhaustive sweeps: every input pattern of a dtype through a target and the reference.

``plan`` cuts the work into chunks, ``check`` (CPU) and ``cuda`` (GPU) judge
a chunk with the shared pieces of ``judge``, ``workers`` runs them in
processes watched for death and hangs, ``ranges`` and ``resume`` keep
exactly which chunks are done, and ``run`` gives the verdict over them.
"""

from .plan import PATTERN_DTYPES, Shard, SweepPlan
from .run import SweepReport, default_jobs, run_sweep

__all__ = ["PATTERN_DTYPES", "Shard", "SweepPlan", "SweepReport", "default_jobs", "run_sweep"]
