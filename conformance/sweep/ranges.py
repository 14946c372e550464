"""Sets of chunk numbers kept as sorted disjoint ranges ``[lo, hi)``.

A sweep's verdict and its resume file name exactly the chunks that were
checked. Chunks finish out of order (several workers) and a plan can hold
millions of them, so the set is kept as a few ranges, not as numbers.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

__all__ = ["ChunkRanges", "format_ranges"]


class ChunkRanges:
    """A set of chunk numbers as sorted, disjoint, non-adjacent ``[lo, hi)`` ranges."""

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()):
        self._lo: list[int] = []
        self._hi: list[int] = []
        for lo, hi in ranges:
            self.add_range(int(lo), int(hi))

    def add(self, number: int) -> None:
        self.add_range(number, number + 1)

    def add_range(self, lo: int, hi: int) -> None:
        if hi <= lo:
            return
        # every range that overlaps or touches [lo, hi) merges into one
        first = bisect.bisect_left(self._hi, lo)
        last = bisect.bisect_right(self._lo, hi)
        if first < last:
            lo = min(lo, self._lo[first])
            hi = max(hi, self._hi[last - 1])
        self._lo[first:last] = [lo]
        self._hi[first:last] = [hi]

    def __contains__(self, number: int) -> bool:
        i = bisect.bisect_right(self._lo, number) - 1
        return i >= 0 and number < self._hi[i]

    def __len__(self) -> int:
        return sum(hi - lo for lo, hi in self.ranges())

    def __eq__(self, other) -> bool:
        return isinstance(other, ChunkRanges) and self.ranges() == other.ranges()

    def ranges(self) -> list[tuple[int, int]]:
        return list(zip(self._lo, self._hi, strict=True))

    def within(self, lo: int, hi: int) -> ChunkRanges:
        """The part of this set that lies in ``[lo, hi)``."""
        return ChunkRanges((max(a, lo), min(b, hi)) for a, b in self.ranges())

    def missing(self, lo: int, hi: int) -> ChunkRanges:
        """The chunks of ``[lo, hi)`` that are not in this set."""
        gaps, at = [], lo
        for a, b in self.within(lo, hi).ranges():
            gaps.append((at, a))
            at = b
        gaps.append((at, hi))
        return ChunkRanges(gaps)

    def numbers(self) -> Iterator[int]:
        for lo, hi in self.ranges():
            yield from range(lo, hi)

    def __repr__(self) -> str:
        return f"ChunkRanges({self.ranges()})"


def format_ranges(ranges: ChunkRanges, most: int = 4) -> str:
    """``[0, 100), [150, 2038)`` for a person; ``none`` when empty; at most ``most`` ranges."""
    parts = [f"[{lo}, {hi})" for lo, hi in ranges.ranges()]
    if not parts:
        return "none"
    if len(parts) > most:
        parts = parts[:most] + [f"... ({len(parts) - most} more ranges)"]
    return ", ".join(parts)
