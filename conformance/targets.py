"""Targets: the kernels under test, and how the suite finds them.

A target is any importable object (a module, or an attribute of one) that
exposes the article's API on torch tensors:

* ``fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True)``
  (required);
* ``tensor_quant(...)`` returning ``(outputs, scale)`` (optional);
* ``QuantDescriptor`` or ``ScaledQuantDescriptor`` (optional);
* SPEC section 6 (each optional; the properties that need one skip without it):
  ``legacy_fake_tensor_quant``, ``fake_affine_tensor_quant(inputs, min_range,
  max_range, num_bits=8)``, ``scaled_e4m3(inputs, amax=None, E=4, M=3)``, and
  a descriptor class with ``dict()``, ``to_yaml()`` and ``from_yaml()``.

It may carry metadata in an attribute ``CONFORMANCE_TARGET`` (a mapping):
``name`` (display name), ``devices`` (tuple of ``"cpu"``/``"cuda"``) and
``variations`` (names from ``reference.variations`` it declares) and
``expectations`` (path of its known-deviations file, relative to the
target's module) and ``exposes`` (the parts of the API it promises, names
from ``API_PARTS``: a promised part that is missing fails the properties that
need it instead of skipping them, so a kernel that loses ``tensor_quant`` in a
refactor cannot pass by exposing less). Without it, the defaults are the spec
as the name, both devices, no variations, no expectations, no promises.

A target is named on the command line as ``MODULE``, ``MODULE:ATTR`` or a
short name registered in the entry-point group
``tensor_quant_conformance.targets`` (so other packages can ship targets).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import unicodedata
from collections.abc import Callable

import reference
import reference.variations

from .calls import watched
from .devices import DEVICES
from .errors import UsageError

__all__ = ["API_PARTS", "ENTRY_POINT_GROUP", "SECTION6_FUNCTIONS", "Target", "TargetError",
           "available_targets", "checked_functions", "load_target", "printable", "semantics_for"]

ENTRY_POINT_GROUP = "tensor_quant_conformance.targets"
#: SPEC section 6's functions a target may expose, each by its upstream name.
SECTION6_FUNCTIONS = ("legacy_fake_tensor_quant", "fake_affine_tensor_quant", "scaled_e4m3")
#: The descriptor methods that make ``descriptor_serialization`` apply (SPEC 6.2).
_SERIALIZATION = ("dict", "to_yaml", "from_yaml")
#: The parts of the article's API a target can expose (``Target.exposes``) and promise.
API_PARTS = ("fake_tensor_quant", "tensor_quant", "descriptor", "descriptor_serialization",
             *SECTION6_FUNCTIONS)
_METADATA_KEYS = ("name", "devices", "variations", "expectations", "exposes")


class TargetError(UsageError):
    """A target cannot be used; the message says what to fix."""


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe for one line of a log or a table: control and format characters
    (ANSI escapes, newlines, bidirectional overrides) shown as escapes, cut to ``limit``."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch == " "
                   else ascii(ch)[1:-1] for ch in str(text))
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclasses.dataclass(frozen=True)
class Target:
    """A loaded kernel under test, with what it exposes and declares."""

    spec: str
    name: str
    obj: object
    fake_tensor_quant: Callable
    tensor_quant: Callable | None = None
    descriptor: type | None = None
    devices: tuple[str, ...] = DEVICES
    variations: tuple[str, ...] = ()
    expectations: str | None = None
    legacy_fake_tensor_quant: Callable | None = None
    fake_affine_tensor_quant: Callable | None = None
    scaled_e4m3: Callable | None = None
    promised: frozenset[str] = frozenset()  # CONFORMANCE_TARGET["exposes"]

    @property
    def exposes(self) -> frozenset[str]:
        """Which parts of the article's API the target provides."""
        parts = {"fake_tensor_quant"}
        if self.tensor_quant is not None:
            parts.add("tensor_quant")
        if self.descriptor is not None:
            parts.add("descriptor")
            if all(callable(getattr(self.descriptor, m, None)) for m in _SERIALIZATION):
                parts.add("descriptor_serialization")
        parts.update(n for n in SECTION6_FUNCTIONS if getattr(self, n) is not None)
        return frozenset(parts)


def checked_functions(target: Target) -> list[str]:
    """The array functions every value check calls: fake_tensor_quant, and tensor_quant too
    where the target exposes it."""
    return ["fake_tensor_quant"] + (["tensor_quant"] if target.tensor_quant is not None else [])


def semantics_for(target: Target, *, strict: bool) -> reference.Semantics:
    """The semantics a target is judged by: the article's (strict), or the article with the
    variations the target declares. A bad declaration is the user's to fix (UsageError)."""
    if strict:
        return reference.ARTICLE
    try:
        return reference.variations.combine(target.variations)
    except reference.variations.VariationError as exc:
        raise UsageError(f"target {target.spec!r} declares bad variations: {exc}") from None


#: The suite's own targets, known by name even when it runs from a source
#: tree that was never installed (no entry-point metadata), e.g. on a GPU runner.
_BUILTIN = {
    "torch": "conformance.builtin.torch_tensor_quant",
    "cupy": "conformance.builtin.cupy_tensor_quant",
    "torch-native": "conformance.adapters.torch_native",
    "modelopt": "conformance.adapters.modelopt",
    "onnxruntime": "conformance.adapters.onnxruntime",
    "onnx-reference": "conformance.adapters.onnx_reference",
    "tf-args": "conformance.adapters.tensorflow_args",
    "tf-vars": "conformance.adapters.tensorflow_vars",
    "tf-vars-per-channel": "conformance.adapters.tensorflow_vars_per_channel",
    "torchao-primitive": "conformance.adapters.torchao_primitive",
    "torchao-qat": "conformance.adapters.torchao_qat",
    "brevitas": "conformance.adapters.brevitas",
    "aqt": "conformance.adapters.aqt",
    "quanto": "conformance.adapters.quanto",
    "triton": "conformance.builtin.triton_tensor_quant",
}


def available_targets() -> dict[str, str]:
    """Short names (built-in and registered through entry points) -> import paths."""
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    names = dict(_BUILTIN)
    names.update({ep.name: ep.value for ep in eps})
    return dict(sorted(names.items()))


def _import(path: str, spec: str):
    module_name, _, attr = path.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        if type(exc).__name__ == "MissingExtra":  # an adapter's optional package
            raise TargetError(f"target {spec!r} cannot run here: {exc}") from exc
        known = ", ".join(available_targets()) or "none"
        raise TargetError(
            f"cannot import target {spec!r}: {exc}. Give an importable module "
            f"(MODULE or MODULE:ATTR) or a registered name (registered: {known})."
        ) from exc
    except Exception as exc:  # the target's own import crashed
        raise TargetError(
            f"importing target {spec!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    for part in filter(None, attr.split(".")):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(
                f"target {spec!r}: {module_name!r} has no attribute {attr!r}."
            ) from None
    return obj


def _metadata(obj, spec: str) -> dict:
    meta = getattr(obj, "CONFORMANCE_TARGET", None) or {}
    if not isinstance(meta, dict):
        raise TargetError(
            f"target {spec!r}: CONFORMANCE_TARGET must be a dict with keys "
            f"name/devices/variations, got {type(meta).__name__}."
        )
    unknown = set(meta) - set(_METADATA_KEYS)
    if unknown:
        raise TargetError(
            f"target {spec!r}: unknown CONFORMANCE_TARGET keys {sorted(unknown)}; "
            f"allowed: {', '.join(_METADATA_KEYS)}."
        )
    devices = tuple(meta.get("devices", DEVICES))
    bad = [d for d in devices if d not in DEVICES]
    if bad or not devices:
        raise TargetError(f"target {spec!r}: CONFORMANCE_TARGET devices must name one or more "
                          f"of {', '.join(DEVICES)}, got {devices!r}.")
    variations = tuple(meta.get("variations", ()))
    promised = meta.get("exposes", ())
    if isinstance(promised, str) or not all(isinstance(p, str) for p in promised):
        raise TargetError(f"target {spec!r}: CONFORMANCE_TARGET exposes must be a tuple of "
                          f"names from {', '.join(API_PARTS)}, got {promised!r}.")
    bad = sorted(set(promised) - set(API_PARTS))
    if bad:
        raise TargetError(f"target {spec!r}: CONFORMANCE_TARGET exposes names unknown parts "
                          f"{bad}; choose from {', '.join(API_PARTS)}.")
    expectations = meta.get("expectations")
    if expectations is not None:
        import os

        base = os.path.dirname(getattr(obj, "__file__", "") or "")
        expectations = os.path.join(base, str(expectations))
    return {
        "name": printable(meta.get("name", spec)),
        "devices": devices,
        "variations": variations,
        "expectations": expectations,
        "promised": frozenset(promised),
    }


def load_target(spec: str) -> Target:
    """Import and describe the target named by ``spec``; raise TargetError if unusable."""
    if not isinstance(spec, str) or not spec.strip():
        raise TargetError("a target must be named: --target MODULE, MODULE:ATTR or a registered name.")
    spec = spec.strip()
    path = available_targets().get(spec, spec)
    obj = _import(path, spec)
    fake = getattr(obj, "fake_tensor_quant", None)
    if not callable(fake):
        raise TargetError(
            f"target {spec!r} ({path}) has no callable fake_tensor_quant(inputs, amax, "
            "num_bits=8, unsigned=False, narrow_range=True); that is the one required entry."
        )
    quant = getattr(obj, "tensor_quant", None)
    descriptor = getattr(obj, "QuantDescriptor", None) or getattr(obj, "ScaledQuantDescriptor", None)
    meta = _metadata(obj, spec)
    # Under supervision (conformance.isolate) every call of the target's functions has a
    # deadline, wherever it is called from; otherwise ``watched`` returns them as they are.
    return Target(
        spec=spec,
        name=meta["name"],
        obj=obj,
        fake_tensor_quant=watched(fake, "fake_tensor_quant()"),
        tensor_quant=watched(quant, "tensor_quant()") if callable(quant) else None,
        descriptor=descriptor if isinstance(descriptor, type) else None,
        devices=meta["devices"],
        variations=meta["variations"],
        expectations=meta["expectations"],
        promised=meta["promised"],
        **{name: fn for name in SECTION6_FUNCTIONS if callable(fn := getattr(obj, name, None))},
    )
