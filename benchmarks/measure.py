"""What the sweep benchmarks measure with: CPU seconds of a process tree, the checker's rate.

``resource.getrusage(RUSAGE_CHILDREN)`` under-counts a sweep: it adds a
child's time only once the child is waited for, and the supervised workers
are children of the sweep's fork server, which nobody waits for before the
sweep ends. ``CpuMeter`` reads every descendant's time from the kernel
while it lives instead. ``checker_rate`` times the chunk checker alone, in
this process: the steady rate of one worker, free of start-up costs.
"""

from __future__ import annotations

__all__ = ["CpuMeter", "checker_rate"]


class CpuMeter:
    """CPU seconds of this process and all its descendants (Dask workers, fork servers,
    supervised workers) over a ``with`` block.

    A process's CPU time is read from the kernel while it lives, every
    ``interval`` seconds; one that ends between two reads loses at most one
    interval. (``RUSAGE_CHILDREN`` would miss the supervised workers: their
    fork server is never waited for.) Unlike wall time, CPU time hardly
    depends on what else loads the machine, so it is the figure to compare
    on a shared machine.
    """

    def __init__(self, interval: float = 0.05):
        import psutil  # a dependency of distributed

        self.psutil = psutil
        self.interval = interval
        self.me = psutil.Process()

    def _read(self) -> dict:
        seen = {}
        for process in [self.me, *self.me.children(recursive=True)]:
            try:
                times = process.cpu_times()
                seen[(process.pid, process.create_time())] = times.user + times.system
            except self.psutil.Error:  # it ended meanwhile
                pass
        return seen

    def __enter__(self) -> CpuMeter:
        import threading

        self.base = self._read()
        self.last = dict(self.base)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        return self

    def _poll(self) -> None:
        import time

        while not self.stop.wait(self.interval):
            self.last.update(self._read())
        self.own = time.thread_time()  # the meter's own reading, not the sweep's

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.last.update(self._read())
        self.seconds = sum(t - self.base.get(key, 0.0) for key, t in self.last.items())
        self.seconds -= self.own


def checker_rate(target_spec: str, plan, shard, chunks: int = 8) -> dict:
    """Inputs per CPU second of the chunk checker alone, in this process with one torch
    thread (as in a worker): the steady rate of one worker, with no engine around it."""
    import time

    import torch

    from conformance.sweep.check import ChunkChecker
    from conformance.targets import load_target, semantics_for

    torch.set_num_threads(1)
    target = load_target(target_spec)
    checker = ChunkChecker(target, plan, semantics=semantics_for(target, strict=False))
    start, end = shard.block(plan.chunk_count)
    chunks = min(chunks, end - start)
    checker.check(start)  # warm
    began = time.process_time()
    inputs = sum(checker.check(n).inputs for n in range(start, start + chunks))
    seconds = time.process_time() - began
    return {"chunks": chunks, "inputs": inputs, "cpu_seconds": seconds,
            "inputs_per_cpu_second": inputs / seconds}
