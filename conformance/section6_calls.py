"""What one call of a SPEC section 6 function is, for drawing, judging and storing it.

A ``Call`` names the function, its tensors and its other arguments in the
golden-vector format's own terms (``vectors.io``), so a drawn call and a
stored one are judged by the same code (``properties._section6``) and a
failing call is exported as a vector as it is.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping

import numpy as np

from vectors.io import GRADIENT_OF

__all__ = ["SIGNATURES", "Call", "Signature", "positional_numbers", "signature_of"]


@dataclasses.dataclass(frozen=True)
class Signature:
    """How a function is called: tensors first, then the other arguments with defaults."""

    tensors: tuple[str, ...]
    numbers: tuple[tuple[str, object], ...]
    optional: frozenset[str] = frozenset()  # tensors that may be absent (passed as None)


SIGNATURES = {
    "legacy_fake_tensor_quant": Signature(
        ("inputs", "amax"), (("num_bits", 8), ("unsigned", False), ("narrow_range", True))),
    "fake_affine_tensor_quant": Signature(("inputs", "min_range", "max_range"),
                                          (("num_bits", 8),)),
    "scaled_e4m3": Signature(("inputs", "amax"), (("E", 4), ("M", 3)), frozenset({"amax"})),
}
def signature_of(function: str) -> Signature:
    """The signature of ``function``'s forward (a gradient's is its forward's)."""
    return SIGNATURES[GRADIENT_OF.get(function, function)]


def positional_numbers(function: str, arguments: Mapping[str, object]) -> list:
    """The non-tensor arguments a call passes, positionally, in the signature's order.

    An argument absent from ``arguments`` is left out of the call when no later
    one is given (the call relies on the function's own default: the article's
    ``apply`` takes no keywords, so only a trailing run can be left out);
    otherwise its default is passed explicitly.
    """
    numbers = signature_of(function).numbers
    given = [name in arguments for name, _ in numbers]
    kept = max((i + 1 for i, present in enumerate(given) if present), default=0)
    return [arguments.get(name, default) for name, default in numbers[:kept]]


@dataclasses.dataclass(frozen=True)
class Call:
    """One call: ``function`` (a key of SIGNATURES or GRADIENT_OF), its tensors and arguments.

    ``grads`` names tensor arguments besides the inputs that require grad
    (for a gradient, none of them may receive one). ``builders`` holds
    Python source that rebuilds a large tensor in a reproduction.
    """

    function: str
    inputs: Mapping[str, np.ndarray]
    arguments: Mapping[str, object] = dataclasses.field(default_factory=dict)
    grads: frozenset[str] = frozenset()
    builders: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def forward(self) -> str:
        return GRADIENT_OF.get(self.function, self.function)

    @property
    def is_gradient(self) -> bool:
        return self.function in GRADIENT_OF

    def expected(self):
        from vectors import expect

        return expect.expected(self.function, self.inputs, self.arguments)

    def vector(self, name: str, rule: str, expected=None):
        """This call as a golden vector (``vectors.io.Case``), for ``--export-failures``."""
        from vectors import io

        payload = repr((self.function, sorted(self.arguments.items()),
                        [(k, v.dtype.str, v.shape, v.tobytes()) for k, v in
                         sorted(self.inputs.items())]))
        digest = hashlib.sha1(payload.encode()).hexdigest()[:10]
        return io.Case(id=f"failure_{name}_{digest}", rule=rule, function=self.function,
                       inputs=dict(self.inputs), arguments=dict(self.arguments),
                       expected=expected if expected is not None else self.expected(),
                       topic="failures")


