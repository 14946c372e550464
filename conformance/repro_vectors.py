"""Failing examples as golden-vector files, so a failure found once is checked forever.

A counterexample of a values-like property (one call of ``tensor_quant`` or
``fake_tensor_quant``) becomes a ``tensor-quant-vectors/1`` case whose
expected result is the article's (the reference with no variation); a failing
golden vector is exported as it is. ``python -m conformance replay DIR``
replays the files.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

__all__ = ["to_vector", "write_vectors"]


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
