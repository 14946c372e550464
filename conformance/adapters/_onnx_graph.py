"""The one-node-pair ONNX model both ONNX adapters run: QuantizeLinear -> DequantizeLinear.

The graph is built in float32 (QuantizeLinear takes float32, float16 or
bfloat16, never float64, and its scale must have the input's type): the
adapters cast the inputs to float32 and the outputs back, which is the
``compute_float32`` variation. For the article's symmetric call the zero
point is omitted (0) and the integer type comes from ``output_dtype`` (opset
21), so one model serves every scale shape of a configuration. ONNX has
integer types of 4, 8 and 16 bits only, and no narrow range: int8 saturates
to [-128, 127]. SPEC section 6 runs on the same pair: ``fake_affine_tensor_quant``
with a zero point (``prepare_affine``), ``scaled_e4m3`` as float8 Q/DQ to
FLOAT8E4M3FN with ``saturate=1`` (``prepare_e4m3``; opset 19+, run on CPU by
ONNX Runtime and by the reference evaluator alike).
"""

from __future__ import annotations

import functools

import numpy as np

from . import Unsupported, require
from ._article import E4M3_MAX, affine_params, apply_e4m3_zero_mask
from ._layout import integer_range, layout

__all__ = ["OPSET", "QDQ_VARIATIONS", "QdqCall", "article_api", "build_model", "model_for",
           "prepare", "prepare_affine", "prepare_e4m3"]

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
def build_model(q_type: int, axis: int | None, rank: int, adapter: str, *,
                zero_point: bool = False, saturate: bool = False):
    """``y = DequantizeLinear(QuantizeLinear(x, scale[, zp]), scale[, zp])`` for one configuration.

    ``q_type`` is the quantized type (an integer type, or FLOAT8E4M3FN with
    ``saturate``: finite overflow and inf to +-448). With ``zero_point`` the
    graph takes ``zp`` as int32 and casts it to ``q_type`` (NumPy has no
    4-bit integers to feed; the adapters check that it fits first).
    """
    onnx = _onnx(adapter)
    helper = onnx.helper
    per_axis = {} if axis is None else {"axis": axis}
    q_attrs = {"output_dtype": q_type, **per_axis}
    if saturate:
        q_attrs["saturate"] = 1
    zp = ["zp"] if zero_point else []
    nodes = [helper.make_node("Cast", ["zp_int32"], ["zp"], to=q_type)] if zero_point else []
    if zero_point:
        del q_attrs["output_dtype"]  # the zero point's type is the output's
    nodes += [
        helper.make_node("QuantizeLinear", ["x", "scale", *zp], ["q"], **q_attrs),
        helper.make_node("DequantizeLinear", ["q", "scale", *zp], ["y"], **per_axis),
    ]
    float_t = onnx.TensorProto.FLOAT
    dims = [f"d{i}" for i in range(rank)]  # symbolic: one model serves every size
    scale_dims = [] if axis is None else ["C"]
    inputs = [helper.make_tensor_value_info("x", float_t, dims),
              helper.make_tensor_value_info("scale", float_t, scale_dims)]
    if zero_point:
        inputs.append(helper.make_tensor_value_info("zp_int32", onnx.TensorProto.INT32,
                                                    scale_dims))
    graph = helper.make_graph(nodes, "qdq", inputs,
                              [helper.make_tensor_value_info("y", float_t, dims)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


class QdqCall:
    """One call of the graph: its inputs (``feeds``), the model it needs (``key``), and how
    the float32 output becomes the article's result (``result``).

    ``scale`` (and ``zero_point``, the same shape) broadcast against the
    inputs as the article's amax or ranges do (``_layout.layout``): one
    element is per tensor, one dimension not 1 is per axis, anything else
    per element of the flattened inputs.
    """

    def __init__(self, inputs, scale, q_type, *, zero_point=None, saturate=False, dtype=None):
        import torch

        self.dtype, self.device = (dtype or inputs.dtype), inputs.device
        plan = layout(inputs.shape, scale.shape)
        x = inputs.detach().to(torch.float32).expand(plan.shape)
        scale = scale.detach().to(torch.float32)  # the graph's scale is float32
        self.shape = plan.shape
        self.axis = plan.axis
        if plan.flatten:
            x = x.reshape(-1)
        self.feeds = {"x": np.ascontiguousarray(x.cpu().numpy()),
                      "scale": _per_scale(scale, plan)}
        if zero_point is not None:
            self.feeds["zp_int32"] = _per_scale(zero_point.to(torch.int32), plan)
        self.key = (q_type, self.axis, self.feeds["x"].ndim, zero_point is not None, saturate)

    def result(self, y):
        """The graph's float32 output as a tensor of the result's dtype and shape."""
        import torch

        out = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(self.shape))
        return out.to(device=self.device, dtype=self.dtype)


def _per_scale(values, plan):
    """``values`` (the scale's shape) as the graph's scale input for ``plan``: a scalar per
    tensor, one per channel along the axis, or one per element of the flattened inputs."""
    if plan.axis is None:
        values = values.reshape(())
    elif plan.flatten:
        values = values.expand(plan.shape).reshape(-1)
    else:
        values = values.reshape(-1)
    return np.ascontiguousarray(values.cpu().numpy())


def model_for(key: tuple, adapter: str):
    """The model a ``QdqCall.key`` needs."""
    q_type, axis, rank, zero_point, saturate = key
    return build_model(q_type, axis, rank, adapter, zero_point=zero_point, saturate=saturate)


def prepare(inputs, amax, num_bits, unsigned, narrow_range, adapter):
    """The article's symmetric call: ``scale = amax / max_bound`` (float32), zero point 0."""
    import torch

    integer_range(num_bits, unsigned, narrow_range, Unsupported)  # degenerate widths
    int_type = integer_type(num_bits, unsigned, adapter)
    max_bound = float(2 ** (num_bits - 1 + int(unsigned)) - 1)
    step = amax.detach().to(torch.float32) / max_bound  # float32, as the graph's scale
    return QdqCall(inputs, step, int_type)


def prepare_affine(inputs, min_range, max_range, num_bits, adapter):
    """SPEC 6.1 as Q/DQ with a zero point: ``scale = step``, ``zp = min_bound - round(min /
    step)`` in the signed type of ``num_bits``, the article's step and zero point computed
    by the article's code (``_article``). ONNX's zero point is a value of that type, so a
    range whose zero point falls outside it (one that excludes zero, or a degenerate or
    non-finite one) cannot be expressed: Unsupported."""
    import torch

    q_type = integer_type(num_bits, False, adapter)  # Unsupported unless 4, 8 or 16 bits
    params = affine_params(inputs, min_range, max_range, num_bits, max_bits=16,
                           kernel="ONNX QuantizeLinear")
    zero_point = params.zero_point
    fits = bool(torch.all((zero_point >= params.min_bound) & (zero_point <= params.max_bound)))
    if not fits:  # NaN compares False too
        raise Unsupported(
            f"ONNX QuantizeLinear's zero point is a value of the quantized type (int{num_bits}: "
            f"{params.min_bound}..{params.max_bound}); these ranges put it at "
            f"{zero_point.flatten()[:4].tolist()} (a range that excludes zero, a degenerate or "
            "a non-finite one)")
    return QdqCall(inputs, params.step, q_type, zero_point=zero_point, dtype=params.dtype)


def prepare_e4m3(inputs, amax, adapter):
    """SPEC 6.3 as float8 Q/DQ (FLOAT8E4M3FN, ``saturate=1``): ``y_scale = 1 / (448 / amax)``
    (in float64, then float32: the scale ModelOpt's ONNX exporter writes, ``export_fp8``), or
    1 without amax. The result has the dtype PyTorch promotion gives the article's ``x * s``."""
    import torch

    e4m3 = _onnx(adapter).TensorProto.FLOAT8E4M3FN
    if amax is None:
        return QdqCall(inputs, torch.ones((), dtype=torch.float32), e4m3, saturate=True)
    scale = 1.0 / (E4M3_MAX / amax.detach().to(torch.float64))
    dtype = torch.result_type(inputs, amax)
    return QdqCall(inputs, scale, e4m3, saturate=True, dtype=dtype)


def article_api(execute, adapter: str):
    """The article's three functions on a backend: ``execute(call)`` runs a ``QdqCall``'s
    model on its feeds and returns ``y``. Returns ``(fake_tensor_quant,
    fake_affine_tensor_quant, scaled_e4m3)``; none has a gradient (an inference graph)."""

    def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        """Quantize-dequantize through the Q/DQ pair (no gradient)."""
        call = prepare(inputs, amax, num_bits, unsigned, narrow_range, adapter)
        return call.result(execute(call))

    def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8):
        """SPEC 6.1 through Q/DQ with a zero point (``prepare_affine``; no gradient)."""
        call = prepare_affine(inputs, min_range, max_range, num_bits, adapter)
        return call.result(execute(call))

    def scaled_e4m3(inputs, amax=None, E=4, M=3):  # noqa: N803 - the article's names
        """SPEC 6.3 through float8 Q/DQ (``prepare_e4m3``), then the article's zero mask."""
        if E != 4 or M != 3:
            raise NotImplementedError("Only support E=4 & M=3 for now.")
        call = prepare_e4m3(inputs, amax, adapter)
        return apply_e4m3_zero_mask(inputs, call.result(execute(call)))

    return fake_tensor_quant, fake_affine_tensor_quant, scaled_e4m3
