"""Exhaustive sweeps: every input pattern of a dtype through a target and the reference.

``functions`` names what can be swept (the article's ``fake_tensor_quant``,
``fake_affine_tensor_quant``, ``scaled_e4m3``), each with its
configurations and calls; ``plan`` cuts the work into chunks and ``grid`` builds a plan's
configurations (cross products, from flags or a TOML file); ``check``
(CPU) and ``cuda`` (GPU) judge a chunk with the shared pieces of ``judge``;
``workers`` runs them in processes watched for death and hangs, on this
machine or on a Dask cluster (``dask_engine``); ``ledger``, ``ranges`` and
``resume`` keep exactly which chunks are done and what they found; ``run``
drives a sweep and ``report`` gives its verdict, for the whole and for each
configuration.
"""

from .functions import FUNCTIONS
from .grid import Grid, grid_plan, load_grid
from .plan import PATTERN_DTYPES, Shard, SweepPlan
from .report import SweepReport
from .run import default_jobs, run_sweep

__all__ = ["FUNCTIONS", "PATTERN_DTYPES", "Grid", "Shard", "SweepPlan", "SweepReport", "default_jobs",
           "grid_plan", "load_grid", "run_sweep"]
