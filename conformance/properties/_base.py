"""What a property is, and the machinery every property shares.

A property is a named rule with a one-line statement, the parts of the
article's API it needs, and a check. The check runs examples (usually drawn
by Hypothesis, which shrinks a failure to a minimal one) and raises
``Falsified`` carrying a ``Counterexample`` when the target breaks the rule,
or ``Skip`` when the rule cannot apply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from hypothesis import given, reject, settings
from hypothesis import seed as hypothesis_seed

from ..calls import TargetUnsupported

__all__ = ["Context", "Counterexample", "Falsified", "Property", "Skip", "run_examples"]

PARTS = frozenset({"fake_tensor_quant", "tensor_quant", "descriptor",
                   # SPEC section 6 (conformance.targets.SECTION6_FUNCTIONS)
                   "legacy_fake_tensor_quant", "fake_affine_tensor_quant", "scaled_e4m3",
                   "descriptor_serialization"})


@dataclasses.dataclass(frozen=True)
class Counterexample:
    """A minimal failing call, phrased for someone who has never seen the project."""

    property: str
    rule: str
    message: str  # what went wrong, expected vs actual (bits where bits matter)
    reproduction: str  # ready-to-paste Python that makes the failing call
    case: object = dataclasses.field(default=None, compare=False, repr=False)
    function: str | None = None


class Falsified(AssertionError):
    """The target broke the rule on this example."""

    def __init__(self, counterexample: Counterexample):
        super().__init__(counterexample.message)
        self.counterexample = counterexample


class Skip(Exception):
    """The property does not apply; the message says why."""


@dataclasses.dataclass(frozen=True)
class Property:
    """A named rule of the article's semantics, checked against a target."""

    name: str
    rule: str
    requires: frozenset[str]
    check: Callable  # check(ctx) -> None; raises Falsified or Skip

    def __post_init__(self):
        unknown = set(self.requires) - PARTS
        if unknown:
            raise ValueError(f"property {self.name}: unknown API parts {sorted(unknown)}")

    def missing(self, exposes) -> list[str]:
        """The API parts this property needs that the target does not expose."""
        return sorted(set(self.requires) - set(exposes))


@dataclasses.dataclass
class Context:
    """Everything a check needs: the target, the oracle's semantics, how to call."""

    target: object  # conformance.targets.Target
    device: str
    semantics: object  # reference.Semantics
    caller: object  # conformance.calls.Caller
    settings: settings
    seed: int | None = None
    property: str = ""
    rule: str = ""
    on_example: Callable | None = None  # progress callback, one call per example
    unsupported: list = dataclasses.field(default_factory=list)  # NotImplementedError messages

    def fail(self, message: str, reproduction: str, case=None, function=None):
        raise Falsified(Counterexample(self.property, self.rule, message, reproduction,
                                       case, function))


def fewer_examples(ctx, share: float):
    """``ctx`` drawing the profile's examples divided by ``share`` (at least one)."""
    if share == 1:
        return ctx
    return dataclasses.replace(ctx, settings=settings(
        ctx.settings, max_examples=int(ctx.settings.max_examples / share) or 1))


def run_strata(ctx: Context, strata: dict, body, *, weights: dict | None = None) -> None:
    """``run_examples`` once per named strategy, sharing the profile's examples by ``weights``
    (equal shares by default).

    Hypothesis draws in bursts (it mutates an example it liked into several
    more), so a ``sampled_from`` of five kinds gave one kind anywhere from 1 to
    50 of 150 examples, by seed. Where every kind must be tried, each gets its
    own run and its share of the examples.
    """
    weights = weights or dict.fromkeys(strata, 1)
    total = sum(weights[name] for name in strata)
    for name, strategy in strata.items():
        run_examples(fewer_examples(ctx, total / weights[name]), strategy, body, stratum=name)


def run_examples(ctx: Context, strategy, body, *, stratum: str = "") -> None:
    """Run ``body(case)`` on examples of ``strategy`` under the context's profile."""

    def test(case):
        if ctx.on_example is not None:
            ctx.on_example()
        try:
            body(case)
        except TargetUnsupported as exc:  # the target cannot express this call: not an example
            ctx.unsupported.append(str(exc))
            reject()

    test.__name__ = test.__qualname__ = "_".join(filter(None, ("conformance", ctx.property,
                                                              stratum)))
    wrapped = ctx.settings(given(strategy)(test))
    if ctx.seed is not None:
        wrapped = hypothesis_seed(ctx.seed)(wrapped)
    wrapped()
