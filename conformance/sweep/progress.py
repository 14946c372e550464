"""The progress of a whole sweep on the terminal: chunks, configurations, inputs/s, ETA.

A grid sweep runs for hours on a cluster; its user wants to see how many
configurations are finished, not only chunks, and at what speed.
"""

from __future__ import annotations

import time

from .plan import SweepPlan
from .ranges import ChunkRanges

__all__ = ["SweepProgress"]


class SweepProgress:
    """A rich progress bar over the chunks ``todo`` of ``plan``, to stderr (off if not
    ``enabled``). ``advance(chunk)`` after each chunk judged, whether checked or failed."""

    def __init__(self, plan: SweepPlan, todo: ChunkRanges, *, start: int, end: int,
                 label: str, enabled: bool):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.plan = plan
        self.label = label
        per = plan.chunks_per_config
        # chunks still to judge in each configuration of the requested range
        self.left: dict[int, int] = {}
        for lo, hi in todo.ranges():
            for index in range(lo // per, (hi - 1) // per + 1):
                self.left[index] = self.left.get(index, 0) + (
                    min(hi, (index + 1) * per) - max(lo, index * per))
        self.configs = len(range(start // per, (end - 1) // per + 1)) if end > start else 0
        self.configs_done = self.configs - len(self.left)
        self.inputs = 0
        self.began = time.perf_counter()
        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("chunks, {task.fields[configs]} configurations, "
                       "{task.fields[rate]} inputs/s"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=Console(stderr=True), disable=not enabled, transient=False,
        )
        self.task = None
        self.total = len(todo)

    def __enter__(self) -> SweepProgress:
        self.bar.__enter__()
        self.task = self.bar.add_task(self.label, total=self.total, configs=self._configs(),
                                      rate="-")
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def print(self, text: str) -> None:
        """A line above the bar (or to stderr where the bar is off)."""
        self.bar.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def _configs(self) -> str:
        return f"{self.configs_done}/{self.configs}"

    def advance(self, chunk: int, inputs: int, mismatches: int, failures: int) -> None:
        index = chunk // self.plan.chunks_per_config
        if self.left.get(index):
            self.left[index] -= 1
            self.configs_done += not self.left[index]
        self.inputs += inputs
        seconds = time.perf_counter() - self.began
        rate = f"{self.inputs / seconds / 1e6:,.1f} M" if seconds else "-"
        description = (f"{self.label} ({mismatches} mismatches, {failures} failed chunks)"
                       if mismatches or failures else self.label)
        self.bar.update(self.task, advance=1, description=description,
                        configs=self._configs(), rate=rate)
