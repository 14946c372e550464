"""The process state the oracle relies on, and whether a target changed it.

A target runs in the suite's process (its own child process by default). If
its import or one of its calls replaced ``numpy.rint``, a function of the
``reference`` oracle or of the suite, or changed process-wide numeric state
(NumPy's error handling, flush-to-zero, the rounding mode), the oracle could
compute what the target computes and pass it, and every other user of the
process would compute differently. So the suite takes a ``Snapshot`` before
it imports a target and compares after the import and after every property:

* a change of what the oracle relies on is reported as the target's failure
  (after the import: the target does not conform; during a property: that
  property fails), naming what changed; the snapshot is then restored, so the
  oracle judges the rest of the run with its own functions;
* in process (``--in-process``), where targets share one process, changes of
  torch (a replaced ``torch.round`` or ``Tensor`` method, the default dtype or
  device, grad mode) are also undone after each import and property, without
  a verdict: torch is the target's business (real libraries wrap torch
  functions), but one target must not change what another computes. In its
  own child process a target keeps what it did to torch, as in a user's
  program.

Watched: every callable attribute of the suite's modules (``reference``,
``vectors``, ``conformance``, except the target modules in
``conformance.builtin`` and ``conformance.adapters``) and of the classes they
define, of ``numpy``, ``math`` and ``builtins``; which module object
``sys.modules`` holds for each; and the state in ``_state``. Attributes a
target adds (``numpy.float = float`` shims) are not changes. Not watched: the
contents of mutable objects (a dict edited in place), and anything done
through ``ctypes`` beyond the state above. This is a guard against careless
targets, not a sandbox.
"""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np

__all__ = ["Snapshot", "active", "after_import", "changed_by", "import_problems", "protect",
           "snapshot", "take"]

SUITE = ("reference", "vectors", "conformance")
NOT_SUITE = ("conformance.builtin", "conformance.adapters")  # targets: they may change themselves
LIBRARIES = ("numpy", "math", "builtins")
TORCH = ("torch",)  # watched in process only, and undone without a verdict


def _flushes_denormals() -> bool:
    """Whether float arithmetic flushes subnormals (FTZ/DAZ, ``torch.set_flush_denormal``)."""
    tiny = np.array([1e-39], dtype=np.float32)  # a float32 subnormal
    with np.errstate(all="ignore"):
        return bool(np.multiply(tiny, np.float32(1.0))[0] == 0)


def _set_flush(value: bool) -> None:
    import torch

    torch.set_flush_denormal(bool(value))


def _rounding_mode() -> str:
    """The FPU rounding mode, read from arithmetic (only round-to-nearest-even is sane)."""
    with np.errstate(all="ignore"):
        up = np.add(np.array([1.0]), np.array([2.0**-60]))[0] != 1.0
        down = np.subtract(np.array([1.0]), np.array([2.0**-60]))[0] != 1.0
        towards_zero = np.add(np.array([-1.0]), np.array([-2.0**-60]))[0] != -1.0
    return "nearest" if not (up or down or towards_zero) else "not to nearest"


def _set_rounding(value: str) -> None:
    if value != "nearest":
        return
    import ctypes
    import ctypes.util

    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m"))
        libm.fesetround(0)  # FE_TONEAREST on every platform glibc supports
    except (OSError, AttributeError, TypeError):
        pass


def _torch_state():
    import torch

    items = [
        ("torch's default dtype (torch.set_default_dtype)", torch.get_default_dtype,
         torch.set_default_dtype),
        ("torch's grad mode (torch.set_grad_enabled)", torch.is_grad_enabled,
         torch.set_grad_enabled),
    ]
    if hasattr(torch, "get_default_device"):
        items.append(("torch's default device (torch.set_default_device)",
                      lambda: str(torch.get_default_device()), torch.set_default_device))
    return items


def _oracle_state():
    """``(what, get, set)`` for the process-wide numeric state the oracle computes under."""
    return [
        ("NumPy's floating-point error handling (numpy.seterr)", np.geterr,
         lambda v: np.seterr(**v)),
        ("flushing of subnormals to zero (torch.set_flush_denormal / FTZ-DAZ)",
         _flushes_denormals, _set_flush),
        ("the floating-point rounding mode (fesetround)", _rounding_mode, _set_rounding),
    ]


def _modules(names=(), *, suite=False) -> dict[str, types.ModuleType]:
    """The loaded modules called ``names`` (with ``suite``: and the suite's own)."""
    found = {}
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType):
            continue
        ours = suite and name.split(".")[0] in SUITE and not name.startswith(NOT_SUITE)
        if ours or name in names:
            found[name] = module
    return found


def _owners(modules):
    """``(label, object)`` whose callable attributes are watched."""
    owners = list(modules.items())
    if "torch" in modules:
        owners.append(("torch.Tensor", modules["torch"].Tensor))
    for name, module in modules.items():
        if name.split(".")[0] in SUITE:
            owners += [(f"{name}.{key}", value) for key, value in list(vars(module).items())
                       if isinstance(value, type) and getattr(value, "__module__", None) == name]
    return owners


_MISSING = object()
#: Attributes Python itself adds to a class on first use: copyreg caches ``__slotnames__``
#: when an instance is first pickled (the fingerprint sends its probes to a child process);
#: ``__abstractmethods__``-style caches of abc. Neither changes what the class computes.
_CACHES = frozenset({"__slotnames__", "_abc_impl"})


@dataclasses.dataclass
class Part:
    """One tier of what is watched: modules, callable attributes, state."""

    modules: dict[str, types.ModuleType]
    attributes: list[tuple[str, object, str, object]]  # (owner label, owner, key, value)
    state: list[tuple[str, object, object, object]]  # (what, value, setter, getter)
    classes: list[tuple[str, type, frozenset]]  # (label, class, its own attribute names)

    @classmethod
    def take(cls, modules, state) -> Part:
        owners = _owners(modules)
        attributes = [(label, owner, key, value) for label, owner in owners
                      for key, value in list(vars(owner).items()) if callable(value)]
        # On a class, an added attribute shadows the bases' (Tensor.round_ lives on
        # TensorBase): a change too. On a module, an addition changes nothing.
        classes = [(label, owner, frozenset(vars(owner))) for label, owner in owners
                   if isinstance(owner, type)]
        return cls(modules, attributes, [(what, get(), set_, get) for what, get, set_ in state],
                   classes)

    def _added(self):
        for label, owner, keys in self.classes:
            for key in set(vars(owner)) - keys - _CACHES:
                yield label, owner, key

    def changes(self) -> list[str]:
        """What differs now, in words (empty when nothing does)."""
        found = [f"sys.modules[{name!r}] was replaced" for name, module in self.modules.items()
                 if sys.modules.get(name) is not module]
        for label, owner, key, value in self.attributes:
            now = vars(owner).get(key, _MISSING)
            if now is not value:
                found.append(f"{label}.{key} was {'deleted' if now is _MISSING else 'replaced'}")
        found += [f"{label}.{key} was replaced" for label, _owner, key in self._added()]
        for what, value, _set, get in self.state:
            now = get()
            if now != value:
                found.append(f"{what} changed from {value!r} to {now!r}")
        return found

    def restore(self) -> None:
        """Put back every module, attribute and state of this part."""
        for name, module in self.modules.items():
            sys.modules[name] = module
        for _label, owner, key, value in self.attributes:
            if vars(owner).get(key, _MISSING) is not value:
                try:
                    setattr(owner, key, value)
                except (AttributeError, TypeError):
                    pass
        for _label, owner, key in list(self._added()):
            try:
                delattr(owner, key)
            except (AttributeError, TypeError):
                pass
        for _what, value, setter, get in self.state:
            if get() != value:
                try:
                    setter(value)
                except Exception:  # best effort: the change is reported anyway
                    pass


@dataclasses.dataclass
class Snapshot:
    """What the suite's process looked like, to compare with and to restore."""

    oracle: Part  # a change is the target's failure
    torch: Part | None  # in process only: undone, no verdict

    def check(self) -> list[str]:
        """The oracle's changes since the snapshot; everything watched is restored."""
        changed = self.oracle.changes()
        if changed:
            self.oracle.restore()
        if self.torch is not None and self.torch.changes():
            self.torch.restore()
        return changed


def take(*, in_process: bool = True) -> Snapshot:
    """The current state of everything watched (torch too when targets share the process)."""
    import torch  # noqa: F401  (the flush-to-zero setter is torch's)

    oracle = Part.take(_modules(LIBRARIES, suite=True), _oracle_state())
    return Snapshot(oracle, Part.take(_modules(TORCH), _torch_state()) if in_process else None)


# -- the process-wide guard the command line and the supervised child use ----------------

_active: list[Snapshot | None] = [None]
_import_problems: dict[str, tuple[str, ...]] = {}


def protect(*, in_process: bool = True) -> Snapshot:
    """Take the process's snapshot (once, before any target is imported)."""
    if _active[0] is None:
        _active[0] = take(in_process=in_process)
    return _active[0]


def active() -> Snapshot | None:
    return _active[0]


def snapshot() -> Snapshot:
    """A snapshot taken now, of what the process-wide guard watches (of everything when
    there is none), to compare with after a property or a job."""
    return take(in_process=_active[0] is None or _active[0].torch is not None)


def changed_by(changes) -> str:
    return ("; ".join(changes) + " (a kernel must not change what other code computes; the "
            "suite restored it for the rest of the run)")


def after_import(spec: str) -> tuple[str, ...]:
    """What importing target ``spec`` changed that the oracle relies on (recorded, restored)."""
    snapshot = _active[0]
    if snapshot is None:
        return ()
    changed = snapshot.check()
    if changed:
        _import_problems[spec] = _import_problems.get(spec, ()) + (
            "importing the target changed the process the oracle runs in: "
            + changed_by(changed),)
    return _import_problems.get(spec, ())


def import_problems(spec: str) -> tuple[str, ...]:
    return _import_problems.get(spec, ())
