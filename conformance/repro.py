"""Ready-to-paste reproductions of a failing call.

Inputs are written as exact values (``float.fromhex``), so pasting the
snippet rebuilds the very bits Hypothesis found, in every dtype; expected and
actual results are shown with their bit patterns, because a one-ulp
difference is invisible in decimal.
"""

from __future__ import annotations

import numpy as np

from reference import dtype_name

from .compare import hex_bits

__all__ = ["array_bits", "import_lines", "tensor_literal", "call_snippet"]

#: Arrays larger than this are shown only through their first mismatch.
MAX_SHOWN = 48


def tensor_literal(array, device="cpu", requires_grad=False) -> str:
    """Python source for a torch tensor holding exactly ``array``'s bits."""
    text = _literal(array, device)
    return f"{text}.requires_grad_()" if requires_grad else text


def _literal(array, device):
    array = np.asarray(array)
    dtype = f"torch.{dtype_name(array.dtype)}"
    dev = "" if device == "cpu" else f", device={device!r}"
    flat = array.astype(np.float64).reshape(-1)
    hexes = [f"h({float(v).hex()!r})" for v in flat]
    if array.ndim == 0:
        return f"torch.tensor({hexes[0]}, dtype={dtype}{dev})"
    body = f"torch.tensor([{', '.join(hexes)}], dtype={dtype}{dev})"
    if array.ndim == 1:
        return body
    return f"{body}.reshape{tuple(array.shape)}"


def _inputs_literal(case, device, requires_grad):
    """The inputs; large ones rebuilt by tiling their motif (``np.resize`` in torch)."""
    motif = getattr(case, "motif", None)
    array = np.asarray(case.inputs)
    if motif is None or array.size <= MAX_SHOWN:
        return tensor_literal(array, device, requires_grad)
    repeats = -(-array.size // motif.size)
    text = (f"{_literal(motif, device)}.repeat({repeats})[:{array.size}]"
            f".reshape{tuple(array.shape)}")
    return f"{text}.requires_grad_()" if requires_grad else text


def array_bits(array) -> str:
    """Values with their bit patterns, e.g. ``[0.5 (0x3f000000), nan (0x7fc00000)]``."""
    array = np.asarray(array)
    head = f"{dtype_name(array.dtype) if array.dtype.kind in 'fV' else array.dtype} {tuple(array.shape)}"
    if array.size > MAX_SHOWN:
        return f"{head} (too large to show)"
    items = [f"{float(v)!r} ({hex_bits(v, array.dtype)})" for v in array.reshape(-1)]
    return f"{head} [{', '.join(items)}]"


def import_lines(target) -> list[str]:
    """How to get the target object in a fresh interpreter."""
    from .targets import available_targets

    path = available_targets().get(target.spec, target.spec)
    module, _, attr = path.partition(":")
    if not attr:
        return [f"import {module} as target"]
    if "." not in attr:
        return [f"from {module} import {attr} as target"]
    return ["import importlib, operator",
            f"target = operator.attrgetter({attr!r})(importlib.import_module({module!r}))"]


def call_snippet(target, device, function, case, *, rule, message, expected=None,
                 actual=None, semantics=None, after=(), grads=()) -> str:
    """The failing call as a runnable script, with the rule and expected vs actual."""
    lines = [f"# Rule broken: {rule}", f"# What happened: {message}"]
    if semantics is not None and semantics.changes():
        lines.append(f"# Reference semantics (declared variations): {semantics.changes()}")
    lines += ["import torch", *import_lines(target), "h = float.fromhex",
              f"inputs = {_inputs_literal(case, device, 'inputs' in grads)}",
              f"amax = {tensor_literal(case.amax, device, 'amax' in grads)}",
              f"result = target.{function}(inputs, amax, {case.num_bits!r}, "
              f"{case.unsigned!r}, {case.narrow_range!r})"]
    lines += list(after)
    if expected is not None:
        lines.append(f"# expected: {expected}")
    if actual is not None:
        lines.append(f"# actual:   {actual}")
    lines.append("print(result)")
    return "\n".join(lines)
