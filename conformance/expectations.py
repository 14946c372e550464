"""Known deviations of a target: an xfail list that CI holds the target to.

A target may name a small TOML file (``CONFORMANCE_TARGET["expectations"]``)
with one table per property it is known to break, each with the reason and
the evidence (the minimal counterexample, or where the behaviour is
documented)::

    [fake_per_channel]
    reason = "per-channel kernel casts to int64 before clamping: +inf and |x/s| >= 2**63 give quant_min"
    evidence = "fake_quantize_per_channel_affine(tensor([inf]), ...) -> -128 * scale"
    devices = ["cpu"]   # optional: where the deviation happens (default: every device)

The runner turns a failure of a listed property into ``xfail`` and a pass
into ``xpass`` (which fails the run: the file is out of date), so a new
deviation fails CI and a fixed one is noticed.
"""

from __future__ import annotations

import dataclasses
import os

from .devices import DEVICES
from .errors import UsageError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["Expectation", "load_expectations"]

_KEYS = {"reason", "evidence", "devices"}


@dataclasses.dataclass(frozen=True)
class Expectation:
    """Why a target is expected to break a property, and how we know."""

    property: str
    reason: str
    evidence: str = ""
    devices: tuple[str, ...] = DEVICES

    def __str__(self) -> str:
        return self.reason


def _known_properties() -> frozenset[str]:
    from .properties import PROPERTIES  # late: the registry imports the whole engine

    return frozenset(PROPERTIES)


def load_expectations(path, device: str | None = None) -> dict[str, Expectation]:
    """``{property id: Expectation}`` from ``path``; UsageError says what is wrong.

    With ``device``, only the deviations that happen on that device.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise UsageError(f"expectations file {path} does not exist; create it or remove "
                         "'expectations' from the target's CONFORMANCE_TARGET.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"expectations file {path} is not valid TOML (UTF-8 text): {exc}") \
            from None
    except OSError as exc:  # a folder, no permission, ...
        raise UsageError(f"expectations file {path} cannot be read ({exc.strerror or exc}); "
                         "point CONFORMANCE_TARGET['expectations'] at a TOML file.") from None
    known = _known_properties()
    result = {}
    for prop, entry in data.items():
        if known is not None and prop not in known:
            raise UsageError(f"expectations file {path}: unknown property {prop!r}; "
                             f"known properties: {', '.join(sorted(known))}.")
        if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str) \
                or not entry["reason"].strip():
            raise UsageError(f"expectations file {path}: [{prop}] needs reason = \"...\" "
                             "(and evidence = \"...\"): why the target breaks the property.")
        extra = set(entry) - _KEYS
        if extra:
            raise UsageError(f"expectations file {path}: [{prop}] has unknown keys "
                             f"{sorted(extra)}; allowed: reason, evidence, devices.")
        devices = entry.get("devices", list(DEVICES))
        if not isinstance(devices, list) or not set(devices) <= set(DEVICES):
            raise UsageError(f"expectations file {path}: [{prop}] devices must be a list of "
                             f"\"cpu\" and/or \"cuda\", got {devices!r}.")
        expectation = Expectation(prop, entry["reason"].strip(),
                                  str(entry.get("evidence", "")).strip(), tuple(devices))
        if device is None or device in expectation.devices:
            result[prop] = expectation
    return result
