"""The one-node-pair ONNX model both ONNX adapters run: QuantizeLinear -> DequantizeLinear.

The graph is built in float32 (QuantizeLinear takes float32, float16 or
bfloat16, never float64, and its scale must have the input's type): the
adapters cast the inputs to float32 and the outputs back, which is the
``compute_float32`` variation. The zero point is omitted (0) and the integer
type comes from ``output_dtype`` (opset 21), so one model serves every
scale shape of a configuration. ONNX has integer types of 4, 8 and 16 bits
only, and no narrow range: int8 saturates to [-128, 127].
"""

from __future__ import annotations

import functools

import numpy as np

from . import Unsupported, require
from ._layout import integer_range, layout

__all__ = ["OPSET", "QDQ_VARIATIONS", "QdqCall", "build_model", "prepare"]

OPSET = 21

#: What this graph computes, as named variations (found by ``fingerprint``; the
#: same for ONNX Runtime and the reference evaluator, on finite inputs).
QDQ_VARIATIONS = (
    "quantize_divide_step",      # y = saturate(x / y_scale)
    "dequantize_multiply_step",  # (q - zp) * scale on integer codes, in float32
    "compute_float32",           # the graph is float32; inputs cast in, outputs back
    "zero_amax_none",            # no threshold: scale = amax / max_bound as it comes
    "always_full_range",         # int8 saturates to [-128, 127]; ONNX has no narrow range
    "nan_to_lower_bound",        # NaN saturates to the type's minimum
)


def _onnx(adapter):
    return require("onnx", "onnx", adapter)


def integer_type(num_bits: int, unsigned: bool, adapter: str) -> int:
    """The ONNX TensorProto type that holds the article's codes, or Unsupported."""
    onnx = _onnx(adapter)
    types = {
        (4, False): onnx.TensorProto.INT4, (8, False): onnx.TensorProto.INT8,
        (16, False): onnx.TensorProto.INT16, (4, True): onnx.TensorProto.UINT4,
        (8, True): onnx.TensorProto.UINT8, (16, True): onnx.TensorProto.UINT16,
    }
    try:
        return types[(num_bits, bool(unsigned))]
    except KeyError:
        raise Unsupported(
            f"ONNX QuantizeLinear has no {'un' if unsigned else ''}signed {num_bits}-bit "
            "integer type (4, 8 and 16 bits only)"
        ) from None


@functools.lru_cache(maxsize=64)
def build_model(int_type: int, axis: int | None, rank: int, adapter: str):
    """``y = DequantizeLinear(QuantizeLinear(x, scale), scale)`` for one configuration."""
    onnx = _onnx(adapter)
    helper = onnx.helper
    attrs = {"output_dtype": int_type}
    if axis is not None:
        attrs["axis"] = axis
    dq_attrs = {} if axis is None else {"axis": axis}
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale"], ["q"], **attrs),
        helper.make_node("DequantizeLinear", ["q", "scale"], ["y"], **dq_attrs),
    ]
    float_t = onnx.TensorProto.FLOAT
    dims = [f"d{i}" for i in range(rank)]  # symbolic: one model serves every size
    graph = helper.make_graph(
        nodes, "qdq",
        [helper.make_tensor_value_info("x", float_t, dims),
         helper.make_tensor_value_info("scale", float_t, [] if axis is None else ["C"])],
        [helper.make_tensor_value_info("y", float_t, dims)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


class QdqCall:
    """One article-style call turned into the graph's inputs, and the result turned back."""

    def __init__(self, inputs, amax, num_bits, unsigned, narrow_range, adapter):
        import torch

        integer_range(num_bits, unsigned, narrow_range, Unsupported)  # degenerate widths
        self.int_type = integer_type(num_bits, unsigned, adapter)
        self.dtype, self.device = inputs.dtype, inputs.device
        plan = layout(inputs.shape, amax.shape)
        max_bound = float(2 ** (num_bits - 1 + int(unsigned)) - 1)
        step = amax.detach().to(torch.float32) / max_bound  # float32, as the graph's scale
        x = inputs.detach().to(torch.float32).expand(plan.shape)
        self.shape = plan.shape
        if plan.axis is None:
            self.axis = None
            scale = step.reshape(())
        elif plan.flatten:
            self.axis = 0
            x = x.reshape(-1)
            scale = step.expand(plan.shape).reshape(-1)
        else:
            self.axis = plan.axis
            scale = step.reshape(-1)
        self.feeds = {"x": np.ascontiguousarray(x.cpu().numpy()),
                      "scale": np.ascontiguousarray(scale.cpu().numpy())}

    @property
    def key(self) -> tuple:
        """What a cached model or session depends on."""
        return self.int_type, self.axis, self.feeds["x"].ndim

    def result(self, y):
        """The graph's float32 output as a tensor of the input's dtype and shape."""
        import torch

        out = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(self.shape))
        return out.to(device=self.device, dtype=self.dtype)


def prepare(inputs, amax, num_bits, unsigned, narrow_range, adapter):
    return QdqCall(inputs, amax, num_bits, unsigned, narrow_range, adapter)
