"""legacy_fake_tensor_quant (SPEC 6.3): upstream 2.2.1's name for the article's pure path.

Same values and same straight-through gradient as the article's
``fake_tensor_quant``, on every device; drawn from the same strategies.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .. import strategies
from ..section6_calls import Call
from ..strategies.section6 import omit_defaults
from ._base import Property
from ._section6 import check_calls

_GRADIENT = st.sampled_from([False, True])
_PER_CHANNEL = st.booleans()
# Inputs requiring grad as often as not: the legacy function is the training path of old
# code, where a forward that rounds differently under autograd shows.
_GRADS = st.sampled_from([frozenset(), frozenset({"inputs"}), frozenset({"inputs"}),
                          frozenset({"amax"})])
_AMAX_GRAD = st.sampled_from([frozenset(), frozenset({"amax"})])


@st.composite
def legacy_calls(draw):
    """A ``legacy_fake_tensor_quant`` call or its input gradient, as a ``Call``."""
    gradient = draw(_GRADIENT, label="gradient")
    case = draw(strategies.cases(per_channel=draw(_PER_CHANNEL, label="per_channel"),
                                 max_side=4), label="case")
    arrays = {"inputs": case.inputs, "amax": case.amax}
    arguments = omit_defaults(draw, "legacy_fake_tensor_quant", {
        "num_bits": case.num_bits, "unsigned": case.unsigned, "narrow_range": case.narrow_range})
    if not gradient:
        return Call("legacy_fake_tensor_quant", arrays, arguments, draw(_GRADS, label="grads"))
    if np.broadcast_shapes(case.inputs.shape, case.amax.shape) != case.inputs.shape:
        arrays["amax"] = case.amax.reshape(-1)[:1].reshape(())  # no gradient of a wider shape
    import reference

    try:
        with np.errstate(all="ignore"):
            dtype = reference.fake_tensor_quant(arrays["inputs"], arrays["amax"],
                                                **arguments).dtype
    except (TypeError, ValueError, RuntimeError):
        dtype = case.inputs.dtype  # the forward raises: the call never reaches backward
    grad = np.arange(1, case.inputs.size + 1, dtype=np.float64).reshape(case.inputs.shape)
    arrays["grad_output"] = grad.astype(dtype)
    return Call("legacy_gradient", arrays, arguments,
                draw(_AMAX_GRAD, label="amax_grad"))


def _vector_calls():
    """Every fake_tensor_quant golden vector (and its gradients) as a legacy call."""
    from vectors import io

    for vcase in io.load_all():
        if vcase.function == "fake_tensor_quant":
            yield Call("legacy_fake_tensor_quant", dict(vcase.inputs), dict(vcase.arguments))
        elif (vcase.function == "ste_gradient"
              and vcase.arguments.get("backward_of", "fake_tensor_quant") == "fake_tensor_quant"):
            arguments = {k: v for k, v in vcase.arguments.items() if k != "backward_of"}
            yield Call("legacy_gradient", dict(vcase.inputs), arguments)


PROPERTIES = [
    Property("legacy_fake",
             "legacy_fake_tensor_quant (upstream 2.2.1's name for the article's pure path) "
             "equals the article's fake_tensor_quant bit for bit, per tensor and per channel, "
             "with the same clipped straight-through gradient and none for amax",
             # The golden vectors pin every rule of SPEC 2 and 3 at once; drawn calls add
             # combinations (a third of the profile's examples: the function is the article's).
             frozenset({"legacy_fake_tensor_quant"}),
             check_calls(legacy_calls(), _vector_calls, share=3)),
]
