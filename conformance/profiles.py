"""Hypothesis profiles shared by the command line and the project's tests.

``quick`` is the fast default for local runs and ``ci`` the gate; both are
derandomized (the same examples on every run and in every process, so a
verdict is reproducible and a test that expects a failure cannot flake; pass
``--seed`` for other examples), with no example database. ``thorough`` runs
10,000 random examples per property for release gates.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "load_profile", "without_local_constants"]


def without_local_constants() -> bool:
    """Keep Hypothesis from mixing literals of the loaded project modules into its draws.

    Hypothesis (6.131 on) sometimes draws a constant found in the source of
    any "local" module in ``sys.modules``. The derandomized draws then depend
    on which of the suite's modules happen to be imported (the command line
    imports more than ``run_target`` does, an error path imports the
    reproduction renderer) and on every literal anywhere in them: the same
    profile gave a verdict from the command line and another from Python.
    An empty set of local constants makes the draws a function of the seed
    alone. Returns False where this Hypothesis has no such feature.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # pragma: no cover - an older or a reworked Hypothesis
        return False
    if not hasattr(providers, "_get_local_constants"):  # pragma: no cover
        return False
    empty = Constants()
    providers._get_local_constants = lambda: empty
    return True


without_local_constants()

_COMMON = dict(
    deadline=None,  # kernels may be slow to warm up (CUDA, ONNX sessions)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

PROFILES = {
    # 60, not 40: Hypothesis draws in bursts, and at 40 one derandomized draw in ten
    # missed a zoo member that every other seed caught (large inputs, a float16 path,
    # a per-channel axis); quick is the pre-commit check, so it must catch them all.
    "quick": settings(max_examples=60, derandomize=True, database=None, **_COMMON),
    "ci": settings(max_examples=150, derandomize=True, database=None, **_COMMON),
    "thorough": settings(max_examples=10_000, **_COMMON),
}

for _name, _settings in PROFILES.items():
    settings.register_profile(_name, _settings)


def load_profile(name: str) -> settings:
    """Activate and return the named profile; raises ValueError naming the choices."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}.")
    settings.load_profile(name)
    return PROFILES[name]
