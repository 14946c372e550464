"""Which combination of named variations reproduces a target bit for bit?

The target is run once on a boundary-heavy sample (``conformance.fingerprint.sample``).
The search then works field by field: starting from the article, each field
of ``reference.Semantics`` is set to the value that leaves the fewest
mismatching elements with the other fields held (repeated until nothing
changes), then pairs of fields are tried together in case one field only
shows once another is right. The result is verified as a whole: it *fits*
when every element of every call matches. For a fitting combination, every
field lists the values that fit equally (a field the sample cannot observe,
e.g. the STE fields of a kernel without gradient, keeps several), and
evidence: for each alternative value, one input where the target and the
alternative part.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing

import numpy as np

import reference
from reference.semantics import ARTICLE, Semantics
from reference.variations import VARIATIONS

from ..calls import DEFAULT_CALL_TIMEOUT
from ..compare import canonical_bits
from .observe import Observed, Outcome, observe
from .sample import Probe, build_sample

__all__ = ["Evidence", "Fingerprint", "call_reference", "fingerprint", "render",
           "variation_names"]

FIELDS = {f.name: typing.get_args(f.type if not isinstance(f.type, str) else
                                  getattr(reference.semantics, f.type))
          for f in dataclasses.fields(Semantics)}
FIELDS["signed_range"] = typing.get_args(reference.semantics.SignedRange)
FIELDS = {name: (values if values else (False, True)) for name, values in FIELDS.items()}


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One input where the found semantics and an alternative part."""

    field: str
    alternative: object
    call: str
    target: str
    other: str


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    target: str
    semantics: Semantics
    fits: bool
    mismatches: int  # elements of the sample where the best combination differs
    elements: int
    calls: int
    unsupported: int
    equally_fitting: dict  # field -> values that fit as well as the chosen one
    evidence: tuple[Evidence, ...]
    first_mismatches: tuple[str, ...]  # when nothing fits: where the best one differs
    notes: tuple[str, ...] = ()
    extreme_only: bool = False  # nothing fits, but every mismatch is at an extreme input
    failed: str = ""  # the observation ended early (a call hung or ended the process)

    @property
    def variations(self) -> tuple[str, ...]:
        return variation_names(self.semantics)

    @property
    def undetermined(self) -> dict:
        return {f: v for f, v in self.equally_fitting.items() if len(v) > 1}

    def to_json(self) -> dict:
        return {"target": self.target, "fits": self.fits, "variations": list(self.variations),
                "semantics": self.semantics.changes(), "mismatches": self.mismatches,
                "elements": self.elements, "calls": self.calls, "unsupported": self.unsupported,
                "undetermined": {f: list(v) for f, v in self.undetermined.items()},
                "evidence": [dataclasses.asdict(e) for e in self.evidence],
                "first_mismatches": list(self.first_mismatches), "notes": list(self.notes),
                "extreme_only": self.extreme_only, "failed": self.failed}


def variation_names(semantics: Semantics) -> tuple[str, ...]:
    """The registered variations that make up ``semantics``."""
    by_setting = {(v.field, v.value): v.name for v in VARIATIONS.values()}
    return tuple(by_setting[(f, v)] for f, v in semantics.changes().items())


def _differs(expected: Outcome, actual: Outcome) -> np.ndarray | int:
    """Per-element inequality, or a count when whole calls disagree."""
    if expected.values is None or actual.values is None:
        same = expected.raised == actual.raised and expected.values is None \
            and actual.values is None
        n = max(getattr(expected.values, "size", 0), getattr(actual.values, "size", 0), 1)
        return 0 if same else n
    if expected.values.dtype != actual.values.dtype or expected.values.shape != \
            actual.values.shape:
        return max(expected.values.size, actual.values.size, 1)
    return canonical_bits(expected.values) != canonical_bits(actual.values)


def call_reference(probe: Probe, semantics: Semantics) -> Outcome:
    args = (probe.inputs, probe.amax)
    flags = (probe.num_bits, probe.unsigned, probe.narrow_range)
    try:
        with np.errstate(all="ignore"):
            if probe.function == "fake_tensor_quant":
                return Outcome(reference.fake_tensor_quant(*args, *flags, semantics=semantics))
            return Outcome(reference.ste_gradient(*args, probe.grad_output, *flags,
                                                  semantics=semantics))
    except (TypeError, ValueError, RuntimeError) as exc:
        return Outcome(raised=type(exc).__name__)


def extreme(probe: Probe) -> np.ndarray:
    """Inputs that are non-finite or whose code would pass 2**31 (undefined int casts)."""
    x = np.broadcast_to(probe.inputs.astype(np.float64), probe.inputs.shape)
    amax = np.broadcast_to(probe.amax.astype(np.float64), probe.inputs.shape)
    _, max_bound = reference.bounds(probe.num_bits, probe.unsigned, probe.narrow_range)
    with np.errstate(all="ignore"):
        huge = np.abs(x) * abs(float(max_bound)) >= 2.0**31 * amax
    return ~np.isfinite(x) | huge


def _extreme_mismatches(observations, best: Semantics) -> tuple[int, int]:
    """(mismatches at extreme inputs, mismatches elsewhere) of ``best``."""
    at, elsewhere = 0, 0
    for probe, seen in observations:
        d = _differs(call_reference(probe, best), seen)
        if not isinstance(d, np.ndarray):
            elsewhere += d
            continue
        mask = extreme(probe).reshape(-1)
        at += int(np.count_nonzero(d & mask))
        elsewhere += int(np.count_nonzero(d & ~mask))
    return at, elsewhere


class _Scorer:
    """Mismatching elements of a semantics against the observations, memoized."""

    def __init__(self, observations):
        self.observations = observations
        self.cache: dict[Semantics, int] = {}

    def __call__(self, semantics: Semantics) -> int:
        if semantics not in self.cache:
            self.cache[semantics] = self._count(semantics, limit=None)
        return self.cache[semantics]

    def below(self, semantics: Semantics, limit: int) -> bool:
        """Whether ``semantics`` mismatches fewer than ``limit`` elements (stops early)."""
        if semantics in self.cache:
            return self.cache[semantics] < limit
        total = self._count(semantics, limit)
        if total < limit:
            self.cache[semantics] = total
        return total < limit

    def _count(self, semantics: Semantics, limit: int | None) -> int:
        total = 0
        for probe, seen in self.observations:
            d = _differs(call_reference(probe, semantics), seen)
            total += int(np.count_nonzero(d)) if isinstance(d, np.ndarray) else d
            if limit is not None and total >= limit:
                break  # already no better than the best: the exact count is not needed
        return total


def _descend(score, start: Semantics) -> Semantics:
    """Field by field, take the value with the fewest mismatches, until stable."""
    best = start
    for _ in range(4):
        changed = False
        for field, values in FIELDS.items():
            candidates = [dataclasses.replace(best, **{field: v}) for v in values]
            pick = min(candidates, key=lambda s: (score(s), s != best))
            if pick != best:
                best, changed = pick, True
        if not changed or score(best) == 0:
            break
    return best


def _pairs(score, best: Semantics) -> Semantics:
    """Try changing two fields at once (a field that shows only once another is right)."""
    for (f1, v1s), (f2, v2s) in itertools.combinations(FIELDS.items(), 2):
        for v1, v2 in itertools.product(v1s, v2s):
            cand = dataclasses.replace(best, **{f1: v1, f2: v2})
            if score.below(cand, score(best)):
                return _descend(score, cand)
    return best


def _evidence(observations, best: Semantics, equally: dict) -> list[Evidence]:
    found = []
    for field, values in FIELDS.items():
        for value in values:
            if value in equally[field]:
                continue
            alt = dataclasses.replace(best, **{field: value})
            for probe, seen in observations:
                other = call_reference(probe, alt)
                d = _differs(other, seen)
                if isinstance(d, np.ndarray) and d.any():
                    flat = int(np.flatnonzero(d)[0])
                    index = np.unravel_index(flat, probe.inputs.shape) if probe.inputs.ndim \
                        else ()
                    found.append(Evidence(field, value, probe.describe(tuple(int(i) for i in
                                                                              index)),
                                          seen.show(flat), other.show(flat)))
                    break
                if not isinstance(d, np.ndarray) and d:
                    found.append(Evidence(field, value, probe.describe(), seen.show(0),
                                          other.show(0)))
                    break
    return found


def _first_mismatches(observations, best: Semantics, limit=6) -> list[str]:
    """A few mismatches of ``best``: ordinary inputs first, then extreme ones."""
    ordinary = _mismatch_lines(observations, best, limit // 2, extremes=False)
    return ordinary + _mismatch_lines(observations, best, limit - len(ordinary), extremes=True)


def _mismatch_lines(observations, best: Semantics, limit: int, extremes: bool) -> list[str]:
    lines = []
    for probe, seen in observations:
        if len(lines) >= limit:
            break
        expected = call_reference(probe, best)
        d = _differs(expected, seen)
        if isinstance(d, np.ndarray):
            d = d & (extreme(probe).reshape(-1) == extremes)
            for flat in np.flatnonzero(d)[:1]:
                index = np.unravel_index(int(flat), probe.inputs.shape) if probe.inputs.ndim \
                    else ()
                lines.append(f"{probe.describe(tuple(int(i) for i in index))}: target "
                             f"{seen.show(int(flat))}, best combination {expected.show(int(flat))}")
        elif d and not extremes:
            lines.append(f"{probe.describe()}: target {seen.show(0)}, best combination "
                         f"{expected.show(0)}")
    return lines[:limit]


def fingerprint(target, device: str = "cpu", probes=None, per_channel=True,
                observed: Observed | None = None, *, call_timeout: float = DEFAULT_CALL_TIMEOUT,
                isolate: bool = True) -> Fingerprint:
    """Run ``target`` (a conformance.targets.Target) once and search the variations.

    ``observed`` is an ``observe()`` result to reuse instead of running the
    target; ``call_timeout`` and ``isolate`` are passed to ``observe``. Nothing
    fits unless the whole sample was observed: a target that hung or ended
    its process on some call, or answered none, gets ``fits=False``.
    """
    if observed is None:
        probes = build_sample(per_channel) if probes is None else probes
        observed = observe(target, device, probes, call_timeout=call_timeout, isolate=isolate)
    observations, unsupported = list(observed.seen), observed.unsupported
    score = _Scorer(observations)
    best = _descend(score, ARTICLE)
    if score(best):
        best = _pairs(score, best)
    mismatches = score(best)
    equally = {f: tuple(v for v in values
                        if score.below(dataclasses.replace(best, **{f: v}), mismatches + 1))
               for f, values in FIELDS.items()}
    notes, extreme_only = [], False
    if not observations:
        notes.append("the target answered none of the sample's calls: nothing to fingerprint")
    if mismatches:
        at, elsewhere = _extreme_mismatches(observations, best)
        extreme_only = elsewhere == 0
        if extreme_only:
            notes.append(f"all {at} mismatches are at non-finite inputs or inputs whose code "
                         "would pass 2**31: the target breaks there in a way no variation "
                         "names (typically a float->int cast before the clamp)")
    if not any(p.function == "ste_gradient" for p, _ in observations):
        notes.append("the target gives no gradient: the STE fields are not observed")
    elements = sum(int(p.inputs.size) for p, _ in observations)
    return Fingerprint(
        target=getattr(target, "spec", str(target)), semantics=best,
        fits=mismatches == 0 and not observed.failed and bool(observations),
        mismatches=mismatches, elements=elements, calls=len(observations),
        unsupported=unsupported, equally_fitting=equally,
        evidence=tuple(_evidence(observations, best, equally)) if mismatches == 0 else (),
        first_mismatches=tuple(_first_mismatches(observations, best)) if mismatches else (),
        notes=tuple(notes), extreme_only=extreme_only, failed=observed.failed)


def _names(names) -> str:
    return " + ".join(names) if names else "none (the article's semantics)"


def render(target, fp) -> str:
    """The fingerprint as text a person reads top to bottom."""
    lines = [f"Fingerprint of {target.spec} ({target.name}): {fp.calls} calls, "
             f"{fp.elements:,} elements" + (f", {fp.unsupported} calls the target does not "
                                             "support" if fp.unsupported else "")]
    if fp.failed:
        lines.append(f"NO FINGERPRINT: {fp.failed}. The search below covers only the "
                     f"{fp.calls} calls before it; no combination can be said to fit.")
    elif not fp.calls:
        lines.append("NO FINGERPRINT: the target answered none of the sample's calls.")
    elif fp.fits:
        lines.append(f"FITS: {_names(fp.variations)}")
    else:
        lines.append(f"NO COMBINATION OF VARIATIONS FITS. Closest: {_names(fp.variations)}, "
                     f"which differs on {fp.mismatches:,} of {fp.elements:,} elements.")
    declared = tuple(target.variations)
    if set(declared) == set(fp.variations):
        lines.append(f"Declared by the target: the same ({_names(declared)}).")
    else:
        lines.append(f"Declared by the target: {_names(declared)}; "
                     f"missing {_names(sorted(set(fp.variations) - set(declared)))}, "
                     f"extra {_names(sorted(set(declared) - set(fp.variations)))}.")
    for field, values in fp.undetermined.items():
        lines.append(f"Not determined by the sample: {field} (any of {', '.join(map(str, values))})")
    lines += [f"Note: {n}" for n in fp.notes]
    if fp.evidence:
        lines.append("Evidence (one input per nearest alternative; target vs alternative):")
        for e in fp.evidence:
            lines.append(f"  {e.field}={e.alternative}: {e.call}")
            lines.append(f"      target {e.target}; with {e.field}={e.alternative}: {e.other}")
    if fp.first_mismatches:
        lines.append("Where the closest combination differs from the target:")
        lines += [f"  {m}" for m in fp.first_mismatches]
    return "\n".join(lines)
