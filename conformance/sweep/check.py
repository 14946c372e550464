"""One chunk of a sweep: every pattern of it through the target and the reference.

Both implementations get the same arrays (the target a fresh tensor copy per
call) and the outputs are compared bit for bit with NaN == NaN, as
``conformance.compare`` defines equality. The common case, identical bits, is
decided by one integer comparison; only a chunk that differs pays for
finding and describing the differing elements.

The call is the plan's function's (``conformance.sweep.functions``): the
inputs, then the configuration's 0-d tensors and numbers.

Unsigned configurations: the article raises ``TypeError`` when
``inputs.min() < 0``. ``min`` propagates NaN and ``-0.0 < 0`` is false, so
the elementwise sweep feeds the patterns the reference accepts (everything
but strictly negative non-NaN values, i.e. -0.0 and negative-signed NaNs
included), and the strictly negative patterns of each chunk go in as one
more call that must raise the reference's exception type.
"""

from __future__ import annotations

import numpy as np

from reference import dtype_name

from ..compare import bit_view, differing, first_mismatch, hex_bits
from ..convert import to_numpy, to_torch
from .functions import sweep_function
from .judge import (
    ChunkOutcome,
    SweepMismatch,
    call_safely,
    exception_text,
    judge_call,
    no_announce,
)
from .plan import SweepPlan, patterns

__all__ = ["ChunkChecker"]

def _read(tensor) -> np.ndarray:
    """The tensor's bits as NumPy: a view where torch allows one (read only here), else a copy."""
    import torch

    if (isinstance(tensor, torch.Tensor) and tensor.device.type == "cpu"
            and tensor.dtype != torch.bfloat16 and not tensor.requires_grad):
        return tensor.resolve_conj().resolve_neg().contiguous().numpy()
    return to_numpy(tensor)


class ChunkChecker:
    """Checks chunks of one plan against one target (one per worker process)."""

    def __init__(self, target, plan: SweepPlan, *, semantics, keep: int = 5, announce=None):
        self.target = target
        # told "the target's fake_tensor_quant" before each call: a worker passes it on,
        # so that a call that hangs or kills the process is named (conformance.sweep.workers)
        self.announce = announce or no_announce
        self.plan = plan
        self.semantics = semantics
        self.keep = keep
        self.function = sweep_function(plan.function)
        self.functions = self.function.called(target)

    def check(self, number: int) -> ChunkOutcome:
        config, start, stop = self.plan.chunk(number)
        x = patterns(self.plan.dtype, start, stop)
        found: list[SweepMismatch] = []
        count = 0
        groups = [(x, False)]
        if config.rejects_negative:
            with np.errstate(invalid="ignore"):
                negative = x < 0  # NaN and -0.0 are not negative
            if negative.any():
                groups = [(x[~negative], False), (x[negative], True)]
        for inputs, as_group in groups:
            for name in self.functions:
                n, items = self._check_call(number, name, config, inputs, as_group)
                count += n
                found += items[: max(0, self.keep - len(found))]
        checked = int(groups[0][0].size)
        return ChunkOutcome(number, checked, count, tuple(found))

    def _check_call(self, number, name, config, x, as_group):
        """Compare one call; ``as_group``: the inputs are judged as one call, not elementwise."""
        ref = self.function.reference_call(name, semantics=self.semantics)
        self.announce(f"the reference's {name}")
        with np.errstate(all="ignore"):  # overflow to inf is part of the semantics
            expected, expected_exc = call_safely(ref, x, config)
        tensors = [None if t is None else to_torch(t) for t in config.tensors()]
        target_fn = getattr(self.target, name)
        self.announce(f"the target's {name}")
        actual, actual_exc = call_safely(target_fn, to_torch(x), *tensors, *config.numbers())

        def report(output, index, exp, act, detail=""):
            return SweepMismatch(
                number, name, output, config, self.plan.dtype,
                hex_bits(x.reshape(-1)[index], x.dtype) if x.size else "(none)",
                exp, act, detail,
            )

        return judge_call(name, (expected, expected_exc), (actual, actual_exc), x.size, as_group,
                          report, lambda output, exp, act: self._compare(report, output, exp,
                                                                         act, x))

    def _compare(self, report, output, expected, actual, x):
        try:
            actual = _read(actual)
        except Exception as exc:
            return x.size, [report(output, 0, "a tensor", exception_text(exc))]
        if (
            expected.dtype == actual.dtype
            and expected.shape == actual.shape
            and np.array_equal(bit_view(expected), bit_view(actual))
        ):
            return 0, []  # the common case: identical bits
        first = first_mismatch(expected, actual, name=output)
        if first is None:
            return 0, []  # only NaN payloads differ
        if first.what != "value":
            return x.size, [report(output, 0, dtype_name(expected.dtype) + str(expected.shape),
                                   dtype_name(actual.dtype) + str(tuple(actual.shape)),
                                   first.message)]
        indices = differing(np, expected, actual)
        if expected.size == 1 and x.size > 1:  # the scale: one value for the call
            return 1, [report(output, 0, hex_bits(expected.reshape(-1)[0], expected.dtype),
                              hex_bits(actual.reshape(-1)[0], actual.dtype),
                              "the scale of the call, " + first.message)]
        items = [
            report(output, int(i), hex_bits(expected.reshape(-1)[i], expected.dtype),
                   hex_bits(actual.reshape(-1)[i], actual.dtype),
                   f"{float(expected.reshape(-1)[i])!r} expected, {float(actual.reshape(-1)[i])!r} got")
            for i in indices[: self.keep]
        ]
        return int(indices.size), items
