"""Configuration grids: the sets of configurations a sweep checks, from flags or a TOML file.

A kernel author proves the configurations their model uses: num_bits 4
and 8, signed and unsigned, narrow and full range, and the amax values of a
checkpoint (one per channel). A ``Grid`` is one cross product
``num_bits x unsigned x narrow_range x amax_dtype x amax``; a grid file may
hold several (``[[grid]]`` tables, e.g. one per layer with its own amaxes),
and the sweep checks their union, each configuration once. A setting left
out takes the input dtype's default (``Grid.defaults``), the same for the
file and the command line.

A grid file (TOML; keys at the top are the defaults of every ``[[grid]]``)::

    num_bits = [4, 8]
    unsigned = [false, true]
    narrow_range = [true, false]
    amax_dtype = "float32"          # or "input", or both: ["float32", "input"]

    [[grid]]                        # one product per table
    amax = [1.0, "0x1p-24", 6.5e-3] # numbers, or strings: hex floats, "inf"

    [[grid]]
    num_bits = 8
    amax_file = "layer3.npy"        # per-channel amaxes: .npy (any shape) or text

Paths are relative to the grid file. A file without ``[[grid]]`` is one
product.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..errors import UsageError
from .plan import PATTERN_DTYPES, SweepConfig, SweepPlan

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["Grid", "grid_plan", "load_grid", "parse_amax"]

_KEYS = ("num_bits", "unsigned", "narrow_range", "amax", "amax_file", "amax_dtype")


@dataclasses.dataclass(frozen=True)
class Grid:
    """One cross product of settings; ``None`` takes the input dtype's default.

    ``amax_dtypes`` holds ``"float32"`` and/or ``"input"`` (the input
    dtype). ``origin`` names where the grid came from, for error messages
    (``""``: the command line, whose flags the messages then name).
    """

    num_bits: tuple[int, ...] | None = None
    unsigned: tuple[bool, ...] | None = None
    narrow_range: tuple[bool, ...] | None = None
    amaxes: tuple[float, ...] | None = None
    amax_dtypes: tuple[str, ...] | None = None
    origin: str = ""

    def _name(self, key: str, flag: str) -> str:
        return f"{self.origin}: {key}" if self.origin else flag

    def defaults(self, dtype: str) -> Grid:
        """This grid with the dtype's defaults filled in.

        float32 sweeps 2**32 patterns per configuration, so it defaults to one
        (num_bits 8, signed, narrow, amax as float32) and needs its amax
        values; the 16-bit dtypes default to every num_bits, sign, range and
        amax dtype, and to ``plan.default_amaxes``.
        """
        if dtype not in PATTERN_DTYPES:  # SweepPlan.build says so, naming the argument
            return self
        wide = dtype == "float32"
        if wide and self.amaxes is None:
            raise UsageError(
                f"{self.origin}: --dtype float32 sweeps 2**32 patterns per configuration: give "
                'its amax values (amax = [1.0] or amax_file = "amax.npy").' if self.origin else
                "--dtype float32 sweeps 2**32 patterns for one configuration: give --amax A "
                "(e.g. --amax 1.0), and optionally --num-bits B."
            )
        return dataclasses.replace(
            self,
            num_bits=self.num_bits or ((8,) if wide else tuple(range(1, 17))),
            unsigned=self.unsigned or ((False,) if wide else (False, True)),
            narrow_range=self.narrow_range or ((True,) if wide else (True, False)),
            amax_dtypes=self.amax_dtypes or (("float32",) if wide else ("float32", "input")),
        )

    def check(self) -> None:
        """UsageError, naming the flag or the file and key, for settings no sweep can take."""
        bad = [b for b in self.num_bits or () if not 0 <= b <= 32]
        if bad:
            raise UsageError(f"{self._name('num_bits', '--num-bits')} must lie in 0..32, "
                             f"got {bad}.")
        negative = [a for a in self.amaxes or () if a < 0]
        if negative:
            raise UsageError(
                f"{self._name('amax', '--amax')} must be >= 0 (a negative amax is an error "
                f"case, not a sweep), got {negative[:4]}."
            )
        if self.amaxes is not None and not self.amaxes:
            raise UsageError(f"{self._name('amax', '--amax')} holds no values.")


def parse_amax(text, name: str = "--amax") -> float:
    """An amax as given: a number, or a string (``"1.0"``, ``"inf"``, hex ``"0x1p-24"``)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    try:
        text = str(text).strip()
        return float.fromhex(text) if text.lower().lstrip("+-").startswith("0x") else float(text)
    except ValueError:
        raise UsageError(
            f"{name} takes numbers (1.0, 6e-8, inf, or hex floats like 0x1p-24), got {text!r}."
        ) from None


def grid_plan(dtype: str, grids, *, chunk_size: int, randoms: int = 4,
              seed: int = 0) -> SweepPlan:
    """The plan of the union of ``grids`` (in order, each configuration once)."""
    configs: dict[SweepConfig, None] = {}
    plan = None
    for grid in grids:
        grid.check()
        grid = grid.defaults(dtype)
        plan = SweepPlan.build(
            dtype, num_bits=grid.num_bits, signs=grid.unsigned, ranges=grid.narrow_range,
            amaxes=grid.amaxes,
            amax_dtypes=[dtype if d == "input" else d for d in grid.amax_dtypes],
            chunk_size=chunk_size, randoms=randoms, seed=seed,
        )
        configs.update(dict.fromkeys(plan.configs))
    if plan is None:
        raise UsageError("the grid holds no configurations.")
    return dataclasses.replace(plan, configs=tuple(configs))


# -- grid files --------------------------------------------------------------------------------


def load_grid(path: str) -> tuple[Grid, ...]:
    """The grids of the TOML file ``path``; UsageError naming the file and key when it is wrong."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise UsageError(f"cannot read grid file {path}: {exc.strerror or exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"grid file {path} is not valid TOML: {exc}.") from None
    tables = data.pop("grid", None)
    base = os.path.dirname(os.path.abspath(path))
    defaults = _table(data, path, base)
    if tables is None:
        return (Grid(**defaults, origin=path),)
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise UsageError(f"{path}: grid must be [[grid]] tables (one cross product each).")
    return tuple(
        Grid(**{**defaults, **_table(t, f"{path} [[grid]] {i}", base)},
             origin=f"{path} [[grid]] {i}")
        for i, t in enumerate(tables, 1)
    )


def _table(table: dict, where: str, base: str) -> dict:
    """The ``Grid`` fields that ``table`` sets."""
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(unknown)}; a grid takes {', '.join(_KEYS)}.")
    fields = {}
    if "num_bits" in table:
        fields["num_bits"] = _values(table, "num_bits", where, int)
    for key in ("unsigned", "narrow_range"):
        if key in table:
            fields[key] = _values(table, key, where, bool)
    if "amax_dtype" in table:
        values = _values(table, "amax_dtype", where, str)
        if not set(values) <= {"float32", "input"}:
            raise UsageError(f'{where}: amax_dtype takes "float32" and "input" (the input '
                             f"dtype), got {list(values)}.")
        fields["amax_dtypes"] = values
    if "amax" in table or "amax_file" in table:
        amaxes = [parse_amax(a, f"{where}: amax") for a in _values(table, "amax", where, None)]
        for name in _values(table, "amax_file", where, str):
            amaxes += _amax_file(os.path.join(base, name), where)
        fields["amaxes"] = tuple(amaxes)
    return fields


def _values(table: dict, key: str, where: str, kind) -> tuple:
    """``table[key]`` as a tuple (a single value is a list of one); each of type ``kind``."""
    if key not in table:
        return ()
    value = table[key]
    values = tuple(value) if isinstance(value, list) else (value,)
    if not values:
        raise UsageError(f"{where}: {key} holds no values.")
    for v in values:
        # bool is an int in Python, and a grid that says num_bits = true is a mistake
        wrong = (kind is not None and (not isinstance(v, kind) or (kind is int and isinstance(
            v, bool)))) or (kind is None and not isinstance(v, (int, float, str)))
        if wrong:
            what = {int: "integers", bool: "true/false", str: "strings"}.get(
                kind, "numbers or strings")
            raise UsageError(f"{where}: {key} takes {what}, got {v!r}.")
    return values


def _amax_file(path: str, where: str) -> list[float]:
    """The amax values in ``path``: a NumPy ``.npy`` array (any shape, e.g. one amax per
    channel, as saved from a checkpoint), else text: numbers separated by spaces, commas or
    new lines, ``#`` comments."""
    try:
        if path.endswith(".npy"):
            values = np.load(path, allow_pickle=False).astype(np.float64).reshape(-1).tolist()
        else:
            with open(path, encoding="utf-8") as f:
                words = [w for line in f for w in line.split("#")[0].replace(",", " ").split()]
            values = [parse_amax(w, f"{where}: amax_file {path}") for w in words]
    except (OSError, ValueError) as exc:
        raise UsageError(f"{where}: cannot read amax_file {path}: {exc}.") from None
    if not values:
        raise UsageError(f"{where}: amax_file {path} holds no values.")
    return values
