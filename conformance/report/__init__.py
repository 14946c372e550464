"""The docs report (``docs/report.md``): verdicts, fingerprints and distances of known targets.

``build`` gathers one target's entry, ``distance`` measures and plots how far
a target is from the article, ``markdown`` writes the pages. A run's own
verdicts (table, JSON, JUnit) are ``conformance.verdicts``.
"""
