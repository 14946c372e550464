"""The functions a sweep can check, each with its configurations, reference and target call.

The sweep engine (plan, check, cuda, workers, ledger, resume, report) does
not know which function it checks: a configuration (``SweepConfig`` for the
article's ``fake_tensor_quant``, ``AffineConfig``, ``E4M3Config``) says
which 0-d tensors and which numbers follow the inputs in a call, and a
``SweepFunction`` of the registry ``FUNCTIONS`` says which functions of a
target that call goes to, which grid axes (``conformance.sweep.grid``) it
takes and how its default grid is built. Adding a sweepable function is one
configuration class and one registry entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from reference import E4M3_MAX, EPSILON

from ..errors import UsageError
from .plan import PATTERN_DTYPES, SweepConfig, SweepPlan, bits_of, value_of

__all__ = ["AFFINE_RANGES", "E4M3_AMAXES", "FUNCTIONS", "AffineConfig", "E4M3Config",
           "SweepFunction", "config_from_dict", "sweep_function"]

_F32 = np.float32


def _hex(bits: int, dtype: str) -> str:
    width = PATTERN_DTYPES[dtype][0].itemsize * 2
    return f"{dtype} 0x{bits:0{width}x}"


@dataclasses.dataclass(frozen=True)
class AffineConfig:
    """One ``fake_affine_tensor_quant(x, min_range, max_range, num_bits)`` signature.

    The ranges are 0-d tensors of ``range_dtype``, kept as bit patterns.
    """

    num_bits: int
    min_bits: int
    max_bits: int
    range_dtype: str = "float32"
    rejects_negative = False  # (class constant: every input is a value, none an error case)

    @property
    def min_range(self) -> np.ndarray:
        return value_of(self.min_bits, self.range_dtype)

    @property
    def max_range(self) -> np.ndarray:
        return value_of(self.max_bits, self.range_dtype)

    def tensors(self) -> tuple:
        return self.min_range, self.max_range

    def numbers(self) -> tuple:
        return (self.num_bits,)

    def describe(self) -> str:
        return (f"num_bits={self.num_bits} min_range={float(self.min_range)!r} "
                f"({_hex(self.min_bits, self.range_dtype)}) max_range={float(self.max_range)!r} "
                f"({_hex(self.max_bits, self.range_dtype)})")

    def ftz_values(self, semantics=None) -> tuple:
        """The 0-d values a flush-to-zero GPU could change: the ranges and the step
        (outputs are integer multiples of the step, quotients by it round to integers)."""
        with np.errstate(all="ignore"):
            step = (_F32(self.max_range) - _F32(self.min_range)) / _F32(2.0**self.num_bits - 1)
        return _F32(self.min_range), _F32(self.max_range), step

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class E4M3Config:
    """One ``scaled_e4m3(x, amax)`` signature; ``amax_bits=None`` is the call without amax."""

    amax_bits: int | None
    amax_dtype: str = "float32"
    rejects_negative = False

    @property
    def amax(self) -> np.ndarray | None:
        return None if self.amax_bits is None else value_of(self.amax_bits, self.amax_dtype)

    def tensors(self) -> tuple:
        return (self.amax,)

    def numbers(self) -> tuple:
        return ()

    def describe(self) -> str:
        if self.amax_bits is None:
            return "amax=None"
        return f"amax={float(self.amax)!r} ({_hex(self.amax_bits, self.amax_dtype)})"

    def ftz_values(self, semantics=None) -> tuple:
        """amax, its reciprocal, the scale ``448 / amax`` and the smallest nonzero output
        ``2**-9 / scale`` (the smallest E4M3 subnormal, scaled back)."""
        if self.amax_bits is None:
            return ()
        amax = _F32(self.amax)
        with np.errstate(all="ignore"):
            reciprocal = _F32(1) / amax
            scale = reciprocal * _F32(E4M3_MAX)
            return amax, reciprocal, scale, _F32(2.0**-9) / scale

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


#: The default ranges of a 16-bit affine sweep: ranges that include zero (symmetric,
#: asymmetric, with zero at either end, the float16 extremes, tiny), exclude it (positive,
#: negative, far from zero), degenerate ``min == max`` (step 0), reversed, non-finite, and
#: ties of ``min / step`` (at 2 and at 8 bits) where half-to-even matters for the zero point.
AFFINE_RANGES = (
    (-1.0, 1.0), (-0.75, 3.5), (0.0, 6.0), (-4.0, 0.0), (-65504.0, 65504.0),
    (-(2.0**-14), 2.0**-14),
    (0.5, 2.0), (-3.0, -0.25), (1000.0, 1024.0),
    (0.0, 0.0), (1.0, 1.0), (-2.5, -2.5),
    (1.0, -1.0), (-np.inf, np.inf), (np.nan, 1.0),
    (-1.5, 1.5), (-0.5, 254.5),
)

#: The default amaxes of a 16-bit E4M3 sweep: none, typical, zero, tiny (2**-20, the zero
#: threshold 2**-24, a float32 subnormal whose scale overflows only without FTZ), huge
#: (65504, 2**100, the largest float32, inf) and the saturation edge (448 and its float32
#: neighbours, 464 where the first value past 448 would round).
E4M3_AMAXES = (
    None, 1.0, 2.5, 0.0, 2.0**-20, EPSILON, 2.0**-127, 65504.0, 2.0**100,
    float(np.finfo(np.float32).max), np.inf,
    E4M3_MAX, float(np.nextafter(_F32(E4M3_MAX), _F32(0))),
    float(np.nextafter(_F32(E4M3_MAX), _F32(np.inf))), 464.0,
)


def _random_ranges(randoms: int, seed: int) -> list[tuple[float, float]]:
    """Seeded random ranges, log-uniform in magnitude with random signs (a few exclude zero)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(randoms):
        a, b = (float(s * 2.0 ** rng.uniform(-12, 12)) for s in rng.choice([-1, 1], size=2))
        out.append((min(a, b), max(a, b)))
    return out


def _random_amaxes(randoms: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(2.0 ** rng.uniform(-20, 16)) for _ in range(randoms)]


def _pattern(value, dtype: str) -> int:
    with np.errstate(over="ignore", invalid="ignore"):
        return bits_of(value, dtype)


def _tensor_dtypes(dtypes, input_dtype):
    return [input_dtype if d == "input" else d for d in dtypes]


def _article_configs(dtype, grid, randoms, seed) -> list:
    return list(SweepPlan.build(
        dtype, num_bits=grid.num_bits, signs=grid.unsigned, ranges=grid.narrow_range,
        amaxes=grid.amaxes, amax_dtypes=_tensor_dtypes(grid.amax_dtypes, dtype), chunk_size=1,
        randoms=randoms, seed=seed).configs)


def _affine_configs(dtype, grid, randoms, seed) -> list:
    ranges = grid.ranges
    if ranges is None:
        ranges = AFFINE_RANGES + tuple(_random_ranges(randoms, seed))
    configs = []
    for bits in grid.num_bits:
        for range_dtype in _tensor_dtypes(grid.range_dtypes, dtype):
            pairs = dict.fromkeys((_pattern(lo, range_dtype), _pattern(hi, range_dtype))
                                  for lo, hi in ranges)
            configs += [AffineConfig(bits, lo, hi, range_dtype) for lo, hi in pairs]
    return configs


def _e4m3_configs(dtype, grid, randoms, seed) -> list:
    amaxes = grid.amaxes
    if amaxes is None:
        amaxes = E4M3_AMAXES + tuple(_random_amaxes(randoms, seed))
    configs: dict = {}
    if None in amaxes:
        configs[E4M3Config(None)] = None
    for amax_dtype in _tensor_dtypes(grid.amax_dtypes, dtype):
        for value in amaxes:
            if value is not None:
                configs[E4M3Config(_pattern(value, amax_dtype), amax_dtype)] = None
    return list(configs)


@dataclasses.dataclass(frozen=True)
class SweepFunction:
    """A sweepable function: its configuration type, grid axes and defaults, and its calls.

    ``axes`` maps each grid field it takes (``conformance.sweep.grid.Grid``)
    to its default for a 16-bit sweep and for float32 (``None``: the user
    must give it for float32, where one configuration costs 2**32 calls).
    ``called(target)`` is the target's functions each input goes through.
    ``semantics``: whether the reference judges by the target's declared
    variations (only the article's path has any).
    """

    name: str
    config_type: type
    axes: dict
    configs: Callable
    signature: str
    semantics: bool = False
    nonnegative_amax: bool = False
    called_with: tuple[str, ...] = ()

    def called(self, target) -> list[str]:
        """The target's functions this sweep calls; UsageError naming what is missing."""
        if self.name == "fake_tensor_quant":
            from ..targets import checked_functions

            return checked_functions(target)
        if getattr(target, self.name, None) is None:
            raise UsageError(
                f"target {target.spec!r} has no {self.name}: a --function {self.name} sweep "
                f"calls {self.signature}. Expose it in the target, or sweep another --function "
                f"(the target has: {', '.join(sorted(target.exposes))}).")
        return [self.name]

    def reference_call(self, name: str, xp=np, semantics=None):
        """``f(x, config)``: the reference's result, with the config's tensors on ``xp``."""
        import reference

        function = getattr(reference, name)
        extra = {"semantics": semantics} if self.semantics else {}

        def call(x, config):
            tensors = [None if t is None else xp.asarray(t) for t in config.tensors()]
            return function(x, *tensors, *config.numbers(), **extra)

        return call


_ARTICLE_AXES = {"num_bits": (tuple(range(1, 17)), (8,)), "unsigned": ((False, True), (False,)),
                 "narrow_range": ((True, False), (True,)), "amaxes": (None, None),
                 "amax_dtypes": (("float32", "input"), ("float32",))}

#: Sweepable functions by upstream name; the first is ``sweep``'s default.
FUNCTIONS = {
    f.name: f for f in (
        SweepFunction("fake_tensor_quant", SweepConfig, _ARTICLE_AXES, _article_configs,
                      "fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)",
                      semantics=True, nonnegative_amax=True,
                      called_with=("tensor_quant",)),
        SweepFunction("fake_affine_tensor_quant", AffineConfig,
                      {"num_bits": (tuple(range(1, 17)), (8,)), "ranges": (None, None),
                       "range_dtypes": (("float32", "input"), ("float32",))},
                      _affine_configs,
                      "fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8)"),
        SweepFunction("scaled_e4m3", E4M3Config,
                      {"amaxes": (None, None), "amax_dtypes": (("float32", "input"),
                                                               ("float32",))},
                      _e4m3_configs, "scaled_e4m3(inputs, amax=None, E=4, M=3)"),
    )
}


def sweep_function(name: str) -> SweepFunction:
    """The registry entry ``name`` (a called name such as ``tensor_quant`` maps to the sweep
    that calls it); UsageError naming the choices."""
    for function in FUNCTIONS.values():
        if name == function.name or name in function.called_with:
            return function
    raise UsageError(f"function must be one of {', '.join(FUNCTIONS)}, got {name!r}.")


def config_from_dict(function: str, data: dict):
    """The configuration ``as_dict`` wrote, for a mismatch of ``function`` (resume files)."""
    return sweep_function(function).config_type(**data)
