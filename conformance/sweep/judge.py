"""What the sweep's CPU and GPU checkers share: the mismatch record and the judging of one call.

A module of its own (Hypothesis' ``_array_helpers`` pattern) so that neither
checker reaches into the other's private names.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from reference import dtype_name

from .functions import config_from_dict
from .plan import PATTERN_DTYPES

__all__ = ["ChunkFailure", "ChunkOutcome", "SweepMismatch", "call_safely", "exception_text",
           "judge_call", "no_announce"]


@dataclasses.dataclass(frozen=True)
class SweepMismatch:
    """One input on which the target and the reference disagree, in exact bits."""

    chunk: int
    function: str  # the target's function called (fake_tensor_quant, tensor_quant, ...)
    output: str  # outputs, scale, dtype, shape or exception
    config: object  # the function's configuration (conformance.sweep.functions)
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
        """A snippet that calls the target on this one input, with this configuration."""
        arguments = [_tensor_source(t) for t in self.config.tensors()]
        arguments += [repr(n) for n in self.config.numbers()]
        return (
            "import numpy as np, reference; from conformance.convert import to_torch; "
            "from conformance.targets import load_target; "
            f"x = to_torch({_bits_source(self.input_bits, self.input_dtype)}); "
            f"print(load_target({target_spec!r}).{self.function}(x, {', '.join(arguments)}))"
        )

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["config"] = self.config.as_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict) -> SweepMismatch:
        """The mismatch ``as_dict`` wrote (a resume file keeps them so)."""
        return cls(**{**data, "config": config_from_dict(data["function"], data["config"])})


@dataclasses.dataclass(frozen=True)
class ChunkOutcome:
    """What one chunk found: inputs checked, differing elements, the first few."""

    chunk: int
    inputs: int
    mismatch_count: int
    mismatches: tuple[SweepMismatch, ...]


@dataclasses.dataclass(frozen=True)
class ChunkFailure:
    """A chunk that could not be checked: its worker died, hung or raised past the checks.

    ``cause`` says what happened, in words (exit status or signal, the call
    that did not return, the exception).
    """

    chunk: int
    cause: str

    def describe(self) -> str:
        return f"chunk {self.chunk}: {self.cause}"


def _bits_source(bits: str, dtype: str) -> str:
    """Source of a 1-element array of ``dtype`` holding the pattern ``bits`` ("0x3c00")."""
    uint = f"uint{PATTERN_DTYPES[dtype][0].itemsize * 8}"
    view = "reference.BFLOAT16" if dtype == "bfloat16" else f"np.{dtype}"
    return f"np.array([{bits}], dtype=np.{uint}).view({view})"


def _tensor_source(value) -> str:
    """Source of a 0-d torch tensor with exactly ``value``'s bits (None stays None)."""
    if value is None:
        return "None"
    dtype = dtype_name(value.dtype)
    bits = int(np.asarray(value).reshape(1).view(PATTERN_DTYPES[dtype][1])[0])
    return f"to_torch({_bits_source(hex(bits), dtype)}.reshape(()))"


def no_announce(what: str) -> None:
    """The checkers' default ``announce``: no one is told which call starts (a checker used
    directly, as in the tests; a sweep worker passes one on to the parent)."""


def call_safely(function, *args, **kwargs):
    try:
        return function(*args, **kwargs), None
    except Exception as exc:  # a misbehaving target is reported, the sweep goes on
        return None, exc


def exception_text(exc: BaseException) -> str:
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
        exp = exception_text(expected_exc) if expected_exc else "a result"
        act = exception_text(actual_exc) if actual_exc else "a result"
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
