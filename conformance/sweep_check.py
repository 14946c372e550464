"""One chunk of a sweep: every pattern of it through the target and the reference.

Both implementations get the same arrays (the target a fresh tensor copy per
call) and the outputs are compared bit for bit with NaN == NaN, as
``conformance.compare`` defines equality. The common case, identical bits, is
decided by one integer comparison; only a chunk that differs pays for
finding and describing the differing elements.

Unsigned configurations: the article raises ``TypeError`` when
``inputs.min() < 0``. ``min`` propagates NaN and ``-0.0 < 0`` is false, so
the elementwise sweep feeds the patterns the reference accepts (everything
but strictly negative non-NaN values, i.e. -0.0 and negative-signed NaNs
included), and the strictly negative patterns of each chunk go in as one
more call that must raise the reference's exception type.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import reference
from reference import dtype_name

from .compare import first_mismatch, hex_bits
from .convert import to_numpy, to_torch
from .sweep_plan import PATTERN_DTYPES, SweepConfig, SweepPlan, patterns

__all__ = ["ChunkChecker", "ChunkOutcome", "SweepMismatch"]

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


@dataclasses.dataclass(frozen=True)
class SweepMismatch:
    """One input on which the target and the reference disagree, in exact bits."""

    chunk: int
    function: str  # fake_tensor_quant or tensor_quant
    output: str  # outputs, scale, dtype, shape or exception
    config: SweepConfig
    input_dtype: str
    input_bits: str
    expected: str  # bits, or the exception expected
    actual: str
    detail: str = ""

    def describe(self) -> str:
        text = (
            f"chunk {self.chunk}: {self.function} {self.output} for input "
            f"{self.input_bits} ({self.input_dtype}), {self.config.describe()}: "
            f"expected {self.expected}, got {self.actual}"
        )
        return f"{text} ({self.detail})" if self.detail else text

    def reproduction(self, target_spec: str) -> str:
        """A snippet that calls the target on this one input."""
        c = self.config
        uint = "uint16" if PATTERN_DTYPES[self.input_dtype][0].itemsize == 2 else "uint32"
        view = "reference.BFLOAT16" if self.input_dtype == "bfloat16" else f"np.{self.input_dtype}"
        amax_view = "reference.BFLOAT16" if c.amax_dtype == "bfloat16" else f"np.{c.amax_dtype}"
        amax_uint = "uint16" if PATTERN_DTYPES[c.amax_dtype][0].itemsize == 2 else "uint32"
        return (
            "import numpy as np, reference; from conformance.convert import to_torch; "
            "from conformance.targets import load_target; "
            f"x = to_torch(np.array([{self.input_bits}], dtype=np.{uint}).view({view})); "
            f"amax = to_torch(np.array([0x{c.amax_bits:x}], dtype=np.{amax_uint})"
            f".view({amax_view}).reshape(())); "
            f"print(load_target({target_spec!r}).{self.function}(x, amax, {c.num_bits}, "
            f"{c.unsigned}, {c.narrow_range}))"
        )

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["config"] = self.config.as_dict()
        return d


@dataclasses.dataclass(frozen=True)
class ChunkOutcome:
    """What one chunk found: inputs checked, differing elements, the first few."""

    chunk: int
    inputs: int
    mismatch_count: int
    mismatches: tuple[SweepMismatch, ...]


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a).reshape(-1)
    return a.view(_UINT[a.dtype.itemsize])


def _differing(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Flat indices where the bits differ and not both are NaN (same dtype and shape)."""
    eb, ab = _bits(expected), _bits(actual)
    differ = eb != ab
    if differ.any():
        e = expected.reshape(-1)[differ].astype(np.float64)
        a = actual.reshape(-1)[differ].astype(np.float64)
        differ[np.flatnonzero(differ)[np.isnan(e) & np.isnan(a)]] = False
    return np.flatnonzero(differ)


def _read(tensor) -> np.ndarray:
    """The tensor's bits as NumPy: a view where torch allows one (read only here), else a copy."""
    import torch

    if (isinstance(tensor, torch.Tensor) and tensor.device.type == "cpu"
            and tensor.dtype != torch.bfloat16 and not tensor.requires_grad):
        return tensor.resolve_conj().resolve_neg().contiguous().numpy()
    return to_numpy(tensor)


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs), None
    except Exception as exc:  # a misbehaving target is reported, the sweep goes on
        return None, exc


def _exception_text(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}({text[:80]!r})"


def judge_call(name, expected, actual, size, as_group, report, compare):
    """The mismatches of one call, given ``(result, exception)`` pairs of both sides.

    Shared by the CPU and GPU checkers: exceptions must match in type;
    ``tensor_quant`` must return a pair; then ``compare(output, expected,
    actual) -> (count, mismatches)`` judges each output.
    """
    (expected, expected_exc), (actual, actual_exc) = expected, actual
    if expected_exc is not None or actual_exc is not None:
        if expected_exc is not None and actual_exc is not None and isinstance(
            actual_exc, type(expected_exc)
        ):
            return 0, []
        exp = _exception_text(expected_exc) if expected_exc else "a result"
        act = _exception_text(actual_exc) if actual_exc else "a result"
        group = f"one call on the {size} patterns of the chunk" if as_group else ""
        return size or 1, [report("exception", 0, f"to raise {exp}" if expected_exc else exp,
                                  act if actual_exc else "no exception", group)]
    if name == "tensor_quant":
        try:
            outputs, scale = actual
        except (TypeError, ValueError):
            return size, [report("outputs", 0, "a pair (outputs, scale)", type(actual).__name__)]
        pairs = [("outputs", expected[0], outputs), ("scale", expected[1], scale)]
    else:
        pairs = [("outputs", expected, actual)]
    total, items = 0, []
    for output, exp, act in pairs:
        n, found = compare(output, exp, act)
        total += n
        items += found
    return total, items


def checked_functions(target) -> list[str]:
    """fake_tensor_quant always; tensor_quant too where the target exposes it."""
    return ["fake_tensor_quant"] + (["tensor_quant"] if target.tensor_quant is not None else [])


class ChunkChecker:
    """Checks chunks of one plan against one target (one per worker process)."""

    def __init__(self, target, plan: SweepPlan, *, semantics, keep: int = 5):
        self.target = target
        self.plan = plan
        self.semantics = semantics
        self.keep = keep
        self.functions = checked_functions(target)

    def check(self, number: int) -> ChunkOutcome:
        config, start, stop = self.plan.chunk(number)
        x = patterns(self.plan.dtype, start, stop)
        found: list[SweepMismatch] = []
        count = 0
        groups = [(x, False)]
        if config.unsigned:
            with np.errstate(invalid="ignore"):
                negative = x < 0  # NaN and -0.0 are not negative
            if negative.any():
                groups = [(x[~negative], False), (x[negative], True)]
        for inputs, as_group in groups:
            for name in self.functions:
                n, items = self._check_call(number, name, config, inputs, as_group)
                count += n
                found += items[: max(0, self.keep - len(found))]
        checked = int(groups[0][0].size)
        return ChunkOutcome(number, checked, count, tuple(found))

    def _check_call(self, number, name, config, x, as_group):
        """Compare one call; ``as_group``: the inputs are judged as one call, not elementwise."""
        amax = config.amax
        ref = getattr(reference, name)
        with np.errstate(all="ignore"):  # overflow to inf is part of the semantics
            expected, expected_exc = _call(
                ref, x, amax, config.num_bits, config.unsigned, config.narrow_range,
                semantics=self.semantics,
            )
        target_fn = getattr(self.target, name)
        actual, actual_exc = _call(
            target_fn, to_torch(x), to_torch(amax), config.num_bits, config.unsigned,
            config.narrow_range,
        )

        def report(output, index, exp, act, detail=""):
            return SweepMismatch(
                number, name, output, config, self.plan.dtype,
                hex_bits(x.reshape(-1)[index], x.dtype) if x.size else "(none)",
                exp, act, detail,
            )

        return judge_call(name, (expected, expected_exc), (actual, actual_exc), x.size, as_group,
                          report, lambda output, exp, act: self._compare(report, output, exp,
                                                                         act, x))

    def _compare(self, report, output, expected, actual, x):
        try:
            actual = _read(actual)
        except Exception as exc:
            return x.size, [report(output, 0, "a tensor", _exception_text(exc))]
        if (
            expected.dtype == actual.dtype
            and expected.shape == actual.shape
            and np.array_equal(_bits(expected), _bits(actual))
        ):
            return 0, []  # the common case: identical bits
        first = first_mismatch(expected, actual, name=output)
        if first is None:
            return 0, []  # only NaN payloads differ
        if first.what != "value":
            return x.size, [report(output, 0, dtype_name(expected.dtype) + str(expected.shape),
                                   dtype_name(actual.dtype) + str(tuple(actual.shape)),
                                   first.message)]
        indices = _differing(expected, actual)
        if expected.size == 1 and x.size > 1:  # the scale: one value for the call
            return 1, [report(output, 0, hex_bits(expected.reshape(-1)[0], expected.dtype),
                              hex_bits(actual.reshape(-1)[0], actual.dtype),
                              "the scale of the call, " + first.message)]
        items = [
            report(output, int(i), hex_bits(expected.reshape(-1)[i], expected.dtype),
                   hex_bits(actual.reshape(-1)[i], actual.dtype),
                   f"{float(expected.reshape(-1)[i])!r} expected, {float(actual.reshape(-1)[i])!r} got")
            for i in indices[: self.keep]
        ]
        return int(indices.size), items
