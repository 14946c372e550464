"""Failing examples made replayable: paste-ready snippets and golden-vector files.

A snippet (``call_snippet``) is what a person pastes to see the failure;
a vector (``to_vector`` / ``write_vectors``) is what ``python -m conformance
replay`` checks forever after. The rest of this docstring is about snippets.

Inputs are written as exact values (``float.fromhex``), so pasting the
snippet rebuilds the very bits Hypothesis found, in every dtype; expected and
actual results are shown with their bit patterns, because a one-ulp
difference is invisible in decimal.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from reference import dtype_name

from .compare import hex_bits

__all__ = ["array_bits", "import_lines", "tensor_literal", "call_snippet", "function_snippet",
           "to_vector", "write_vectors"]

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
                 actual=None, semantics=None, after=(), grads=(), call=None) -> str:
    """The failing call as a runnable script, with the rule and expected vs actual.

    ``call`` replaces the positional call line (source text that sets ``result``),
    for a failure that needs another argument form or a setting around the call.
    """
    notes = []
    if semantics is not None and semantics.changes():
        notes.append(f"# Reference semantics (declared variations): {semantics.changes()}")
    setup = [f"inputs = {_inputs_literal(case, device, 'inputs' in grads)}",
             f"amax = {tensor_literal(case.amax, device, 'amax' in grads)}"]
    arguments = ["inputs", "amax", repr(case.num_bits), repr(case.unsigned),
                 repr(case.narrow_range)]
    return function_snippet(target, function, arguments, rule=rule, message=message,
                            notes=notes, setup=setup, expected=expected, actual=actual,
                            after=after, call=call)


def function_snippet(target, function, arguments, *, rule, message, notes=(), setup=(),
                     expected=None, actual=None, after=(), call=None) -> str:
    """Any failing call of the target as a runnable script.

    ``notes`` are comment lines after the rule, ``setup`` the lines that build
    its tensors (``tensor_literal``), ``arguments`` the source of each
    argument of ``target.function(...)``, ``after`` what follows the call; ``call``, when
    given, is the whole call line instead.
    """
    lines = [f"# Rule broken: {rule}", f"# What happened: {message}", *notes, "import torch",
             *import_lines(target), "h = float.fromhex", *setup,
             call or f"result = target.{function}({', '.join(arguments)})", *after]
    if expected is not None:
        lines.append(f"# expected: {expected}")
    if actual is not None:
        lines.append(f"# actual:   {actual}")
    lines.append("print(result)")
    return "\n".join(lines)


# Golden-vector export: a counterexample of one call becomes a
# ``tensor-quant-vectors/1`` case whose expected result is the article's.
def _case_id(target_name, prop, payload) -> str:
    digest = hashlib.sha1(repr(payload).encode()).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9]+", "_", f"{target_name}_{prop}".lower()).strip("_")
    return f"failure_{slug}_{digest}"


def to_vector(counterexample, target_name: str) -> dict | None:
    """The vector JSON object for a counterexample, or None when it is not one call."""
    from vectors import expect, io

    from .strategies import Case

    case, function = counterexample.case, counterexample.function
    if isinstance(case, io.Case):
        return io.encode_case(case)
    if not isinstance(case, Case) or function not in ("tensor_quant", "fake_tensor_quant"):
        return None
    inputs = {"inputs": np.asarray(case.inputs), "amax": np.asarray(case.amax)}
    arguments = {"num_bits": case.num_bits, "unsigned": case.unsigned,
                 "narrow_range": case.narrow_range}
    with np.errstate(all="ignore"):
        expected = expect.expected(function, inputs, arguments)
    payload = (function, case.inputs.tobytes(), case.inputs.dtype.str, case.inputs.shape,
               case.amax.tobytes(), case.amax.dtype.str, case.amax.shape, sorted(arguments.items()))
    vcase = io.Case(id=_case_id(target_name, counterexample.property, payload),
                    rule=f"{counterexample.property}: {counterexample.rule}",
                    function=function, inputs=inputs, arguments=arguments,
                    expected=expected, topic="failures")
    return io.encode_case(vcase)


def write_vectors(reports, directory) -> list:
    """Write every exportable failure of ``reports`` to ``directory``; return the paths."""
    from vectors import io

    cases, seen = [], set()
    for report in reports:
        for result in report.results:
            vector = getattr(result, "vector", None)
            if vector is None or vector["id"] in seen:
                continue
            seen.add(vector["id"])
            topic = re.sub(r"[^a-z0-9]+", "_", f"failures_{report.name}".lower()).strip("_")
            cases.append(io.decode_case(vector, topic))
    return io.write_cases(cases, directory) if cases else []
