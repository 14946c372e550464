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

The keys depend on the function swept (``sweep --function``,
``conformance.sweep.functions``): the above are ``fake_tensor_quant``'s;
``fake_affine_tensor_quant`` takes ``num_bits``, ``ranges`` (pairs
``[min_range, max_range]``, numbers or strings as for amax) and
``range_dtype``; ``scaled_e4m3`` takes ``amax`` (``"none"`` for the call
without amax), ``amax_file`` and ``amax_dtype``::

    ranges = [[-1.0, 1.0], [0.5, "0x1p1"], [1.0, 1.0]]   # fake_affine_tensor_quant
    range_dtype = ["float32", "input"]

    amax = ["none", 1.0, 448, "inf"]                      # scaled_e4m3
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..errors import UsageError
from .errors import SweepArgumentError
from .functions import FUNCTIONS, SweepFunction
from .plan import PATTERN_DTYPES, SweepPlan, check_plan_arguments

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["Grid", "grid_plan", "load_grid", "parse_amax"]

#: Each grid file key, and the ``Grid`` field it sets.
_KEYS = {"num_bits": "num_bits", "unsigned": "unsigned", "narrow_range": "narrow_range",
         "amax": "amaxes", "amax_file": "amaxes", "amax_dtype": "amax_dtypes",
         "ranges": "ranges", "range_dtype": "range_dtypes"}
#: The command line's flag for each ``Grid`` field.
FLAGS = {"num_bits": "--num-bits", "unsigned": "--sign", "narrow_range": "--range",
         "amaxes": "--amax", "amax_dtypes": "--amax-dtype", "ranges": "--min-max",
         "range_dtypes": "--range-dtype"}


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
    amaxes: tuple[float | None, ...] | None = None  # None in it: scaled_e4m3 without amax
    amax_dtypes: tuple[str, ...] | None = None
    ranges: tuple[tuple[float, float], ...] | None = None  # fake_affine_tensor_quant
    range_dtypes: tuple[str, ...] | None = None
    origin: str = ""

    def _name(self, key: str, flag: str) -> str:
        return f"{self.origin}: {key}" if self.origin else flag

    def defaults(self, dtype: str, function: SweepFunction = FUNCTIONS["fake_tensor_quant"]
                 ) -> Grid:
        """This grid with the dtype's defaults for ``function``'s axes filled in.

        float32 sweeps 2**32 patterns per configuration, so it defaults to one
        (e.g. num_bits 8, signed, narrow, amax as float32) and needs its amax
        values or ranges; the 16-bit dtypes default to every num_bits, sign,
        range and tensor dtype, and to the function's default values
        (``plan.default_amaxes``, ``functions.AFFINE_RANGES``,
        ``functions.E4M3_AMAXES``).
        """
        if dtype not in PATTERN_DTYPES:  # SweepPlan.build says so, naming the argument
            return self
        wide = dtype == "float32"
        filled = {}
        for field, (sixteen, thirty_two) in function.axes.items():
            given = getattr(self, field)
            default = thirty_two if wide else sixteen
            if given is None and wide and default is None:
                raise UsageError(self._needed_for_float32(field, function))
            filled[field] = given if given is not None else default
        return dataclasses.replace(self, **filled)

    def _needed_for_float32(self, field: str, function: SweepFunction) -> str:
        what = {"amaxes": ("amax values", 'amax = [1.0] or amax_file = "amax.npy"',
                           "--amax A (e.g. --amax 1.0"
                           + (", or --amax none" if function.name == "scaled_e4m3" else "")
                           + ")"),
                "ranges": ("ranges", "ranges = [[-1.0, 1.0]]", "--min-max MIN MAX (e.g. "
                           "--min-max -1 1)")}[field]
        if self.origin:
            return (f"{self.origin}: --dtype float32 sweeps 2**32 patterns per configuration: "
                    f"give its {what[0]} ({what[1]}).")
        return (f"--dtype float32 sweeps 2**32 patterns for one configuration: give {what[2]}"
                + (", and optionally --num-bits B." if "num_bits" in function.axes else "."))

    def check(self, function: SweepFunction = FUNCTIONS["fake_tensor_quant"]) -> None:
        """UsageError, naming the flag or the file and key, for settings no sweep of
        ``function`` can take (a setting of another function's sweep included)."""
        foreign = [f for f in FLAGS if getattr(self, f) is not None and f not in function.axes]
        if foreign:
            if self.origin:  # the file's keys
                names = [k for k, f in _KEYS.items() if f in foreign]
                takes = [k for k, f in _KEYS.items() if f in function.axes]
            else:
                names = [FLAGS[f] for f in foreign]
                takes = [FLAGS[f] for f in function.axes]
            where = f"{self.origin}: " if self.origin else ""
            raise UsageError(
                f"{where}{', '.join(names)} {'does' if len(names) == 1 else 'do'} not apply to "
                f"a --function {function.name} sweep, which takes {', '.join(takes)}.")
        bad = [b for b in self.num_bits or () if not 0 <= b <= 32]
        if bad:
            raise UsageError(f"{self._name('num_bits', '--num-bits')} must lie in 0..32, "
                             f"got {bad}.")
        if None in (self.amaxes or ()) and function.name != "scaled_e4m3":
            raise UsageError(f"{self._name('amax', '--amax')} takes numbers here; none (no "
                             "amax) is a scaled_e4m3 configuration.")
        negative = [a for a in self.amaxes or () if a is not None and a < 0]
        if negative and function.nonnegative_amax:
            raise UsageError(
                f"{self._name('amax', '--amax')} must be >= 0 (a negative amax is an error "
                f"case, not a sweep), got {negative[:4]}."
            )
        for field, key in (("amaxes", "amax"), ("ranges", "ranges")):
            if getattr(self, field) is not None and not getattr(self, field):
                raise UsageError(f"{self._name(key, FLAGS[field])} holds no values.")


def parse_amax(text, name: str = "--amax") -> float | None:
    """An amax as given: a number, or a string (``"1.0"``, ``"inf"``, hex ``"0x1p-24"``);
    ``"none"`` is None (``scaled_e4m3`` without amax; ``Grid.check`` refuses it elsewhere)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    try:
        text = str(text).strip()
        if text.lower() == "none":
            return None
        return float.fromhex(text) if text.lower().lstrip("+-").startswith("0x") else float(text)
    except ValueError:
        raise UsageError(
            f"{name} takes numbers (1.0, 6e-8, inf, or hex floats like 0x1p-24), got {text!r}."
        ) from None


def grid_plan(dtype: str, grids, *, chunk_size: int, randoms: int = 4, seed: int = 0,
              function: str = "fake_tensor_quant") -> SweepPlan:
    """The plan of ``function`` over the union of ``grids`` (in order, each configuration
    once)."""
    if function not in FUNCTIONS:
        raise SweepArgumentError("function", f"one of {', '.join(FUNCTIONS)}", function)
    check_plan_arguments(dtype, chunk_size=chunk_size, randoms=randoms, seed=seed)
    sweep = FUNCTIONS[function]
    configs: dict = {}
    for grid in grids:
        grid.check(sweep)
        configs.update(dict.fromkeys(sweep.configs(dtype, grid.defaults(dtype, sweep), randoms,
                                                   seed)))
    if not configs:
        raise UsageError("the grid holds no configurations.")
    return SweepPlan(dtype, tuple(configs), chunk_size, function)


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
                         f"{', '.join(unknown)}; a grid takes {', '.join(_KEYS)} (those of "
                         "the function swept; see conformance/sweep/grid.py).")
    fields = {}
    if "num_bits" in table:
        fields["num_bits"] = _values(table, "num_bits", where, int)
    for key in ("unsigned", "narrow_range"):
        if key in table:
            fields[key] = _values(table, key, where, bool)
    for key in ("amax_dtype", "range_dtype"):
        if key in table:
            values = _values(table, key, where, str)
            if not set(values) <= {"float32", "input"}:
                raise UsageError(f'{where}: {key} takes "float32" and "input" (the input '
                                 f"dtype), got {list(values)}.")
            fields[_KEYS[key]] = values
    if "ranges" in table:
        pairs = _values(table, "ranges", where, list)
        if not all(len(p) == 2 for p in pairs):
            raise UsageError(f"{where}: ranges takes pairs [min_range, max_range], got "
                             f"{[p for p in pairs if len(p) != 2][:2]}.")
        fields["ranges"] = tuple(tuple(_number(v, f"{where}: ranges") for v in p) for p in pairs)
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
            what = {int: "integers", bool: "true/false", str: "strings",
                    list: "pairs [min_range, max_range]"}.get(
                kind, "numbers or strings")
            raise UsageError(f"{where}: {key} takes {what}, got {v!r}.")
    return values


def _number(text, name: str) -> float:
    """A range bound: a number as ``parse_amax`` reads it, never none."""
    value = parse_amax(text, name)
    if value is None:
        raise UsageError(f"{name} takes numbers (1.0, -inf, 0x1p-24), got {text!r}.")
    return value


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
