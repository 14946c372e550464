"""Hygiene: inputs untouched, strides ignored, degenerate shapes, device, determinism.

The layouts themselves (which views, how they are drawn and judged) live in ``layouts``.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import reference

from .. import strategies
from ..compare import first_mismatch
from ..convert import to_numpy
from ..oracle import NAMES, check_call, returned_tensors, target_outcome, tensors, verdict
from ..strategies import Case
from ._base import Property, run_examples, run_strata
from ._contract import fail as _fail
from ._contract import functions as _functions
from ._contract import shared_with
from .layouts import check_strided


def _recorded(fn, inputs, amax, case, results):
    """``fn``'s call on the case, its result also appended to ``results``."""
    result = fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range)
    results.append(result)
    return result


def _shared(outputs, named):
    """The name of an input tensor whose memory an output shares, or None."""
    return next(filter(None, (shared_with(out, named) for out in outputs)), None)


def check_unmodified(ctx):
    def body(case):
        for function in _functions(ctx):
            inputs, amax = tensors(ctx, case)
            results = []
            # The same call through the oracle's checks, keeping the returned tensors.
            outcome = target_outcome(ctx, function, case, inputs, amax, call=functools.partial(
                _recorded, getattr(ctx.target, function), inputs, amax, case, results))
            if outcome.problem:
                _fail(ctx, function, case, outcome.problem)
            # An output that is (a view of) the inputs or amax: writing to the result,
            # as callers do, would change the caller's tensors (an identity "fast path").
            items = returned_tensors(function, results[0])[0] if results else None
            alias = _shared(items or (), (("inputs", inputs), ("amax", amax)))
            if alias is not None:
                _fail(ctx, function, case, f"the call returned a tensor sharing memory with "
                      f"its {alias} (it must return new tensors)",
                      after=[f"print(result{'[0]' if function == 'tensor_quant' else ''}"
                             f".untyped_storage().data_ptr() == "
                             f"{alias}.untyped_storage().data_ptr())  # True: shared"])
            for name, before, tensor in (("inputs", case.inputs, inputs),
                                         ("amax", case.amax, amax)):
                mismatch = first_mismatch(before, to_numpy(tensor), name=name)
                if mismatch is not None:
                    _fail(ctx, function, case, f"the call wrote to its {name}: {mismatch}",
                          after=[f"print({name})  # changed by the call"])

    run_strata(ctx, {"calls": st.one_of(strategies.cases(), strategies.cases(per_channel=True)),
                     "on_grid": on_grid_cases()}, body)


@st.composite
def on_grid_cases(draw):
    """Calls whose inputs are already on the quantization grid: fake quantization moves
    no element. Only here does an identity fast path ("nothing changed: return the
    inputs") return its argument; random inputs almost always move."""
    case = draw(strategies.cases(per_channel=draw(st.booleans(), label="per_channel")),
                label="case")
    try:
        with np.errstate(all="ignore"):
            grid = reference.fake_tensor_quant(case.inputs, case.amax, case.num_bits,
                                               case.unsigned, case.narrow_range)
    except (TypeError, ValueError, RuntimeError):
        return case
    if grid.shape != case.inputs.shape or grid.dtype != case.inputs.dtype:
        return case
    # NaN is never equal to itself, so a NaN element would hide the fast path.
    grid = np.where(np.isnan(grid.astype(np.float64)), 0, grid).astype(grid.dtype)
    return Case(grid, case.amax, case.num_bits, case.unsigned, case.narrow_range)


# -- degenerate shapes --------------------------------------------------------------

@st.composite
def degenerate_cases(draw):
    empty = draw(st.booleans(), label="empty")
    base = draw(strategies.cases(max_side=3), label="base")
    if empty:
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)
                     .filter(lambda s: 0 in s), label="shape")
        inputs = np.zeros(shape, dtype=base.inputs.dtype)
        amax = base.amax if base.amax.ndim == 0 else base.amax.reshape(())
        return Case(inputs, amax, base.num_bits, base.unsigned, base.narrow_range)
    value = base.inputs.reshape(-1)[:1].reshape(()) if base.inputs.size else np.zeros(
        (), base.inputs.dtype)
    amax = base.amax.reshape(()) if base.amax.size == 1 else base.amax.reshape(-1)[:1].reshape(())
    return Case(value, amax, base.num_bits, base.unsigned, base.narrow_range)


def check_degenerate(ctx):
    def body(case):
        for function in _functions(ctx):
            check_call(ctx, function, case)

    run_examples(ctx, degenerate_cases(), body)


# -- output device ------------------------------------------------------------------

def check_device(ctx):
    from ..oracle import invoke, returned_tensors

    def body(case):
        for function in _functions(ctx):
            inputs, amax = tensors(ctx, case)
            try:
                result = invoke(ctx, function, inputs, amax, case)
            except Exception:
                continue  # raising is the errors property's business
            items, problem = returned_tensors(function, result)
            if problem:
                _fail(ctx, function, case, problem)
            for name, item in zip(NAMES[function], items, strict=False):
                if item.device != inputs.device:
                    _fail(ctx, function, case, f"{name} is on {item.device}, but the inputs "
                          f"are on {inputs.device}", expected=str(inputs.device),
                          actual=str(item.device))

    run_examples(ctx, strategies.cases(max_side=3), body)


# -- determinism --------------------------------------------------------------------

def _other_thread_count(ctx):
    """An intra-op thread count other than the calls' own (1, or 2 when that is 1)."""
    import torch

    return 1 if ctx.caller(torch.get_num_threads, what="torch.get_num_threads()") > 1 else 2


def _outcome_with_threads(ctx, function, case, threads):
    """The call with torch's intra-op thread count set to ``threads``, then restored.

    A kernel that splits work by thread count (per-thread partial results, a
    path for one thread) gives other bits on another machine; large inputs
    cross the parallel grain size, so the split is exercised.
    """
    inputs, amax = tensors(ctx, case)
    call = functools.partial(_with_threads, threads, getattr(ctx.target, function),
                             inputs, amax, case)
    return target_outcome(ctx, function, case, inputs, amax, call=call)


def _with_threads(threads, fn, inputs, amax, case):
    """``fn``'s call with ``threads`` intra-op threads; set here, on the calling thread,
    because the OpenMP thread count is per thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range)
    finally:
        torch.set_num_threads(before)


def check_deterministic(ctx):
    def body(case):
        for function in _functions(ctx):
            first = target_outcome(ctx, function, case)
            threads = _other_thread_count(ctx)
            for label, again in (
                    ("a repeated call", target_outcome(ctx, function, case)),
                    (f"the call with torch.set_num_threads({threads})",
                     _outcome_with_threads(ctx, function, case, threads))):
                message = verdict(function, first, again)
                if message is not None:
                    _fail(ctx, function, case, f"{label} gave a different result: "
                          f"{message}", expected=f"(first call) {first.describe()}",
                          actual=f"({label}) {again.describe()}",
                          after=[f"torch.set_num_threads({threads})",
                                 f"print(target.{function}(inputs, amax, {case.num_bits!r}, "
                                 f"{case.unsigned!r}, {case.narrow_range!r}))"]
                          if "threads" in label else ())

    run_examples(ctx, strategies.cases(per_channel=False, allow_large=True), body)


PROPERTIES = [
    Property("inputs_unmodified",
             "a call leaves its inputs and amax tensors exactly as they were, and returns "
             "tensors that do not share their memory",
             frozenset({"fake_tensor_quant"}), check_unmodified),
    Property("strided_inputs",
             "inputs and amax in any layout (at a storage offset: x[1:], select, narrow; "
             "step-sliced, transposed, channels_last, expanded with zero strides, amax "
             "broadcast) give the bits of their contiguous copies",
             frozenset({"fake_tensor_quant"}), check_strided),
    Property("degenerate_shapes",
             "empty and 0-d inputs behave as the reference: empty results of the right "
             "shape and dtype, 0-d results, or the reference's exception",
             frozenset({"fake_tensor_quant"}), check_degenerate),
    Property("output_device",
             "every output (and the scale) is on the inputs' device",
             frozenset({"fake_tensor_quant"}), check_device),
    Property("deterministic",
             "repeated calls with the same arguments give identical bits, also with another "
             "torch.set_num_threads count",
             frozenset({"fake_tensor_quant"}), check_deterministic),
]
