"""How far a target's outputs are from the article's, in ulps of each dtype, as a PNG.

Measured on the fingerprint sample's fake_tensor_quant calls: each output
element is compared with the strict reference (``ARTICLE``). A difference
that keeps the integer code (``round(out / step)``) is a rounding difference,
counted in units in the last place of the output dtype; one that changes the
code is counted in codes (quantization steps); a NaN or inf where a finite
value is due, or the reverse, is its own bucket.
"""

from __future__ import annotations

import numpy as np

import reference

from ..fingerprint.search import call_reference

__all__ = ["BUCKETS", "measure", "plot"]

_INT = {2: np.int16, 4: np.int32, 8: np.int64}
BUCKETS = ("equal", "1 ulp", "2+ ulps, same code", "1 code", "2+ codes",
           "non-finite vs finite")


def _ordered(a: np.ndarray) -> np.ndarray:
    """Float bits as integers whose order and differences follow the float line."""
    i = np.ascontiguousarray(a).reshape(-1).view(_INT[a.dtype.itemsize]).astype(np.int64)
    low = np.iinfo(_INT[a.dtype.itemsize]).min
    return np.where(i < 0, low - i, i)


def ulp_distance(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Per element: ulps apart (float), with -1 for NaN against a number."""
    e, a = expected.reshape(-1), actual.reshape(-1)
    dist = np.abs(_ordered(e) - _ordered(a)).astype(np.float64)
    en, an = np.isnan(e.astype(np.float64)), np.isnan(a.astype(np.float64))
    dist[en & an] = 0
    dist[en ^ an] = -1
    return dist


def _codes(values: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The integer code an output stands for: round(out / step), in float64."""
    with np.errstate(all="ignore"):
        return np.rint(values.astype(np.float64).reshape(-1) / step)


def classify(probe, expected: np.ndarray, actual: np.ndarray) -> dict:
    """Counts per bucket: rounding-level differences in ulps, larger ones in codes."""
    ulps = ulp_distance(expected, actual)
    max_bound = float(reference.bounds(probe.num_bits, probe.unsigned, probe.narrow_range)[1])
    amax = np.broadcast_to(probe.amax.astype(np.float64), expected.shape).reshape(-1)
    with np.errstate(all="ignore"):
        step = amax / max_bound
    codes = np.abs(_codes(expected, step) - _codes(actual, step))
    usable = np.isfinite(codes) & np.isfinite(step) & (step > 0)
    e = expected.astype(np.float64).reshape(-1)
    a = actual.astype(np.float64).reshape(-1)
    finite_mismatch = (np.isfinite(e) != np.isfinite(a)) | (ulps == -1)
    differ = (ulps != 0) & ~finite_mismatch
    same_code = differ & (~usable | (codes == 0))
    return {
        "equal": int(np.count_nonzero(ulps == 0)),
        "1 ulp": int(np.count_nonzero(same_code & (ulps == 1))),
        "2+ ulps, same code": int(np.count_nonzero(same_code & (ulps >= 2))),
        "1 code": int(np.count_nonzero(differ & usable & (codes == 1))),
        "2+ codes": int(np.count_nonzero(differ & usable & (codes >= 2))),
        "non-finite vs finite": int(np.count_nonzero(finite_mismatch)),
    }


def measure(observations) -> dict:
    """``{dtype: {bucket: count}}`` for the fake_tensor_quant calls of a fingerprint run."""
    table: dict[str, dict[str, int]] = {}
    for probe, seen in observations:
        if probe.function != "fake_tensor_quant" or seen.values is None:
            continue
        expected = call_reference(probe, reference.ARTICLE).values
        if expected is None or expected.shape != seen.values.shape \
                or expected.dtype != seen.values.dtype:
            continue
        row = table.setdefault(reference.dtype_name(probe.inputs.dtype),
                               dict.fromkeys(BUCKETS, 0))
        for bucket, count in classify(probe, expected, seen.values).items():
            row[bucket] += count
    return table


def plot(name: str, table: dict, path: str) -> None:
    """A stacked bar per dtype: the share of elements in each bucket ("equal" left out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dtypes = list(table)
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    bottom = np.zeros(len(dtypes))
    colors = ("#9ecae1", "#4292c6", "#fd8d3c", "#d94801", "#54278f")
    for bucket, color in zip(BUCKETS[1:], colors, strict=True):
        share = np.array([100.0 * table[d][bucket] / max(sum(table[d].values()), 1)
                          for d in dtypes])
        ax.bar(dtypes, share, bottom=bottom, color=color, label=bucket)
        bottom += share
    for i in range(len(dtypes)):
        ax.annotate(f"{bottom[i]:.1f}%", (i, bottom[i]), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("% of sample elements that differ")
    ax.set_title(f"{name}\nfake_tensor_quant vs the article's semantics (strict), "
                 "on the fingerprint sample", fontsize=9)
    ax.set_ylim(0, min(100.0, max(5.0, float(bottom.max()) * 1.35)))
    ax.legend(fontsize=7, loc="upper left", ncol=3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
