"""Target ``onnx-reference``: the same Q/DQ graphs through ``onnx.reference.ReferenceEvaluator``.

The ONNX project's Python reference implementation of its operators, run on
the graphs the ``onnxruntime`` adapter runs (``_onnx_graph``: symmetric,
affine with a zero point, float8 E4M3), so the two can be compared with each
other and with the article.
"""

from __future__ import annotations

import functools
import warnings

from . import require
from ._onnx_graph import QDQ_VARIATIONS, article_api, model_for

_reference = require("onnx.reference", "onnx", "onnx-reference")

__all__ = ["CONFORMANCE_TARGET", "fake_affine_tensor_quant", "fake_tensor_quant", "scaled_e4m3"]

CONFORMANCE_TARGET = {
    "name": "onnx.reference.ReferenceEvaluator QuantizeLinear/DequantizeLinear",
    "devices": ("cpu",),
    "variations": QDQ_VARIATIONS,
    "expectations": "expectations/onnx_reference.toml",
}


@functools.lru_cache(maxsize=64)
def _evaluator(key):
    return _reference.ReferenceEvaluator(model_for(key, "onnx-reference"))


def _execute(call):
    with warnings.catch_warnings():  # its float->int cast warns on NaN/inf; we compare bits
        warnings.simplefilter("ignore", RuntimeWarning)
        (y,) = _evaluator(call.key).run(None, call.feeds)
    return y


fake_tensor_quant, fake_affine_tensor_quant, scaled_e4m3 = article_api(_execute, "onnx-reference")
