"""Targets that misbehave the way careless or hostile kernels do (tests/test_hostile_targets.py).

Each breaks the run's process, not the article's semantics: it exits, hangs,
floods its output, interrupts, or changes state the oracle relies on. Most
are otherwise correct (``tests/targets/_kernel.py``), so that what the suite
reports is the misbehaviour alone.
"""
