"""What an exhaustive sweep checks: its configurations, chunks and shards.

A sweep feeds every bit pattern of an input dtype (65,536 for float16 and
bfloat16, 2**32 for float32) through the target and the reference, for each
configuration of the plan's function: ``SweepConfig`` ``(num_bits, unsigned,
narrow_range, amax)`` for the article's ``fake_tensor_quant``, the others'
in ``conformance.sweep.functions``. The work is cut
into numbered *chunks* (one configuration, one contiguous range of bit
patterns each), numbered configuration-major, so that a chunk number alone
says where a sweep stopped (``--start-chunk``) and a contiguous block of
chunk numbers is a shard of the sweep (``--shard K/N``).

Every value is kept as a bit pattern, so a plan written to a resume file or
printed in a report names the exact float.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from reference import BFLOAT16, EPSILON, bounds

from .errors import SweepArgumentError

__all__ = [
    "PATTERN_DTYPES",
    "Shard",
    "SweepConfig",
    "SweepPlan",
    "default_amaxes",
    "bits_of",
    "check_plan_arguments",
    "patterns",
    "value_of",
]

#: Sweepable input dtypes -> (NumPy dtype, unsigned integer type of its bits).
PATTERN_DTYPES = {
    "float16": (np.dtype(np.float16), np.uint16),
    "bfloat16": (BFLOAT16, np.uint16),
    "float32": (np.dtype(np.float32), np.uint32),
}
_FP16_MAX = np.float32(65504)


def bits_of(value, dtype_name: str) -> int:
    """The bit pattern of ``value`` rounded to the dtype ``dtype_name``."""
    dtype, uint = PATTERN_DTYPES[dtype_name]
    return int(np.asarray(value).astype(dtype).reshape(1).view(uint)[0])


def value_of(bits: int, dtype_name: str):
    """The 0-d array of dtype ``dtype_name`` whose bit pattern is ``bits``."""
    dtype, uint = PATTERN_DTYPES[dtype_name]
    return np.array([bits], dtype=uint).view(dtype).reshape(())


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """One call signature: every input pattern goes through it.

    ``amax_bits`` is amax's bit pattern in ``amax_dtype`` (amax is passed as
    a 0-d array of that dtype, as ``x.abs().max()`` would give it).
    """

    num_bits: int
    unsigned: bool
    narrow_range: bool
    amax_bits: int
    amax_dtype: str = "float32"

    @property
    def amax(self) -> np.ndarray:
        """amax as the 0-d array both implementations receive."""
        return value_of(self.amax_bits, self.amax_dtype)

    @property
    def rejects_negative(self) -> bool:
        """Whether strictly negative inputs are an error case (one call that must raise)."""
        return self.unsigned

    def tensors(self) -> tuple:
        """The 0-d tensors that follow the inputs in a call (``conformance.sweep.functions``)."""
        return (self.amax,)

    def numbers(self) -> tuple:
        """The other arguments that follow them."""
        return self.num_bits, self.unsigned, self.narrow_range

    def ftz_values(self, semantics=None) -> tuple:
        """The 0-d values a flush-to-zero GPU could change (``conformance.sweep.cuda``):
        amax, ``max_bound / amax`` and ``amax / max_bound``, in float32."""
        args = (semantics,) if semantics is not None else ()
        _, max_bound = bounds(self.num_bits, self.unsigned, self.narrow_range, *args)
        amax = np.float32(self.amax)
        with np.errstate(all="ignore"):
            return amax, np.float32(max_bound) / amax, amax / np.float32(max_bound)

    def describe(self) -> str:
        width = PATTERN_DTYPES[self.amax_dtype][0].itemsize * 2
        return (
            f"num_bits={self.num_bits} unsigned={self.unsigned} "
            f"narrow_range={self.narrow_range} amax={float(self.amax)!r} "
            f"({self.amax_dtype} 0x{self.amax_bits:0{width}x})"
        )

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_amaxes(max_bound: float, *, randoms: int = 4, seed: int = 0) -> list[np.float32]:
    """The amax values every 16-bit sweep configuration is run with.

    They sit where the article's arithmetic changes: zero, float32 and
    float16 subnormals, the zero-amax threshold 2**-24 and its float32
    neighbours, the amax below which the scale ``max_bound / amax`` overflows
    float16 (``max_bound / 65504``, which is 127/65504 for 8 bits) and its
    neighbours, 1, the largest float16, a huge value, the largest float32 and
    infinity; plus a few log-uniform random values (seeded, so a sweep is
    reproducible).
    """
    f32 = np.float32
    eps = f32(EPSILON)
    overflow = f32(f32(max_bound) / _FP16_MAX)
    fixed = [
        f32(0), f32(2.0**-149), f32(2.0**-130),
        np.nextafter(eps, f32(0)), eps, np.nextafter(eps, f32(1)),
        f32(2.0**-20), f32(2.0**-14),  # a float16 subnormal, the smallest float16 normal
        np.nextafter(overflow, f32(0)), overflow, np.nextafter(overflow, f32(np.inf)),
        f32(1), f32(65504), f32(2.0**100), f32(np.finfo(np.float32).max), f32(np.inf),
    ]
    rng = np.random.default_rng(seed)
    fixed += [f32(2.0 ** rng.uniform(-20, 16)) for _ in range(randoms)]
    unique = {}
    for v in fixed:
        unique.setdefault(bits_of(v, "float32"), v)
    return list(unique.values())


def check_plan_arguments(dtype: str, *, chunk_size: int, randoms: int, seed: int) -> None:
    """SweepArgumentError, naming the argument, for a plan no sweep can take."""
    if dtype not in PATTERN_DTYPES:
        raise SweepArgumentError("dtype", f"one of {', '.join(PATTERN_DTYPES)}", dtype)
    if chunk_size < 1:
        raise SweepArgumentError("chunk_size", "a positive integer", chunk_size)
    if randoms < 0:
        raise SweepArgumentError("randoms", "a count >= 0", randoms)
    if seed < 0:  # numpy.random.default_rng refuses negative seeds with a traceback
        raise SweepArgumentError("seed", "an integer >= 0", seed)


@functools.lru_cache(maxsize=4)
def _ramp(length: int, uint) -> np.ndarray:
    ramp = np.arange(length, dtype=uint)
    ramp.flags.writeable = False
    return ramp


def patterns(dtype_name: str, start: int, stop: int) -> np.ndarray:
    """Every value whose bit pattern lies in ``[start, stop)``, in order.

    A cached ramp plus ``start``: ``numpy.arange`` fills element by element
    and was the largest single cost of a float32 sweep.
    """
    dtype, uint = PATTERN_DTYPES[dtype_name]
    return (_ramp(stop - start, uint) + uint(start)).view(dtype)


@dataclasses.dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``: a contiguous block of chunks."""

    index: int = 1
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        k, sep, n = str(text).partition("/")
        try:
            index, count = int(k), int(n)
        except ValueError:
            index = count = 0
        if not sep or count < 1 or not 1 <= index <= count:
            raise SweepArgumentError("shard", "K/N with 1 <= K <= N (e.g. 2/4)", text)
        return cls(index, count)

    def block(self, total: int) -> tuple[int, int]:
        """The chunk numbers ``[lo, hi)`` of this shard out of ``total``."""
        lo = (self.index - 1) * total // self.count
        hi = self.index * total // self.count
        return lo, hi

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """The configurations of one sweep and how its patterns are chunked."""

    dtype: str
    configs: tuple  # SweepConfig, or another function's (conformance.sweep.functions)
    chunk_size: int
    function: str = "fake_tensor_quant"

    @property
    def pattern_count(self) -> int:
        return 1 << (8 * PATTERN_DTYPES[self.dtype][0].itemsize)

    @property
    def chunks_per_config(self) -> int:
        return math.ceil(self.pattern_count / self.chunk_size)

    @property
    def chunk_count(self) -> int:
        return len(self.configs) * self.chunks_per_config

    def chunk(self, number: int) -> tuple[SweepConfig, int, int]:
        """Chunk ``number`` as ``(config, first pattern, end pattern)``."""
        config_index, part = divmod(number, self.chunks_per_config)
        start = part * self.chunk_size
        return self.configs[config_index], start, min(start + self.chunk_size, self.pattern_count)

    def identity(self) -> dict:
        """Everything that decides which chunk is which (for resume files)."""
        identity = {
            "dtype": self.dtype,
            "chunk_size": self.chunk_size,
            "configs": [c.as_dict() for c in self.configs],
        }
        if self.function != "fake_tensor_quant":  # (resume files of the article's sweeps,
            identity["function"] = self.function  # written before there were others, stay valid)
        return identity

    @classmethod
    def build(cls, dtype: str, *, num_bits, signs, ranges, amaxes=None, amax_dtypes=("float32",),
              chunk_size: int, randoms: int = 4, seed: int = 0) -> SweepPlan:
        """The grid num_bits x signs x ranges x amax_dtypes x amaxes.

        ``amaxes=None`` takes ``default_amaxes`` for each ``(num_bits,
        unsigned)``. Values that collapse to one pattern once cast to an amax
        dtype are checked once.
        """
        check_plan_arguments(dtype, chunk_size=chunk_size, randoms=randoms, seed=seed)
        configs = []
        for bits in num_bits:
            for unsigned in signs:
                values = amaxes
                if values is None:
                    _, max_bound = bounds(bits, unsigned, True)
                    values = default_amaxes(float(max_bound), randoms=randoms, seed=seed)
                for narrow in ranges:
                    for amax_dtype in amax_dtypes:
                        with np.errstate(over="ignore"):
                            patterns_ = dict.fromkeys(bits_of(v, amax_dtype) for v in values)
                        configs += [
                            SweepConfig(bits, unsigned, narrow, b, amax_dtype) for b in patterns_
                        ]
        return cls(dtype, tuple(configs), chunk_size)
