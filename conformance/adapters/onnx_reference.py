"""Target ``onnx-reference``: the same Q/DQ graph through ``onnx.reference.ReferenceEvaluator``.

The ONNX project's Python reference implementation of its operators, run on
the graph the ``onnxruntime`` adapter runs (``_onnx_graph``), so the two can
be compared with each other and with the article.
"""

from __future__ import annotations

import functools
import warnings

from . import require
from ._onnx_graph import QDQ_VARIATIONS, build_model, prepare

_reference = require("onnx.reference", "onnx", "onnx-reference")

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant"]

CONFORMANCE_TARGET = {
    "name": "onnx.reference.ReferenceEvaluator QuantizeLinear/DequantizeLinear",
    "devices": ("cpu",),
    "variations": QDQ_VARIATIONS,
    "expectations": "expectations/onnx_reference.toml",
}


@functools.lru_cache(maxsize=64)
def _evaluator(int_type, axis, rank):
    return _reference.ReferenceEvaluator(build_model(int_type, axis, rank, "onnx-reference"))


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize-dequantize through the ONNX reference evaluator (no gradient)."""
    call = prepare(inputs, amax, num_bits, unsigned, narrow_range, "onnx-reference")
    with warnings.catch_warnings():  # its float->int cast warns on NaN/inf; we compare bits
        warnings.simplefilter("ignore", RuntimeWarning)
        (y,) = _evaluator(*call.key).run(None, call.feeds)
    return call.result(y)
