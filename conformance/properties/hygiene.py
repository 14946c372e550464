"""Hygiene: inputs untouched, strides ignored, degenerate shapes, device, determinism."""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import strategies
from ..compare import first_mismatch
from ..convert import to_numpy
from ..oracle import NAMES, check_call, returned_tensors, target_outcome, tensors, verdict
from ..repro import call_snippet
from ..strategies import Case
from ..targets import checked_functions
from ._base import Property, run_examples


def _fail(ctx, function, case, message, after=(), expected=None, actual=None):
    ctx.fail(message, call_snippet(ctx.target, ctx.device, function, case, rule=ctx.rule,
                                   message=message, expected=expected, actual=actual,
                                   semantics=ctx.semantics, after=after), case, function)


def _recorded(fn, inputs, amax, case, results):
    """``fn``'s call on the case, its result also appended to ``results``."""
    result = fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range)
    results.append(result)
    return result


def _shared(outputs, named):
    """The name of an input tensor whose memory an output shares, or None."""
    for out in outputs:
        if out.numel() == 0:
            continue
        storage = out.untyped_storage().data_ptr()
        for name, tensor in named:
            if tensor.numel() and tensor.untyped_storage().data_ptr() == storage:
                return name
    return None


def check_unmodified(ctx):
    def body(case):
        for function in checked_functions(ctx.target):
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

    run_examples(ctx, st.one_of(strategies.cases(), strategies.cases(per_channel=True)), body)


# -- strided inputs ---------------------------------------------------------------

LAYOUTS = ("transposed", "step_sliced", "channels_last", "expanded_amax")


@st.composite
def strided_cases(draw):
    dtype = draw(strategies.dtypes(), label="dtype")
    layout = draw(st.sampled_from(LAYOUTS), label="layout")
    per_channel = draw(st.booleans(), label="per_channel")
    base = draw(strategies.cases(per_channel=per_channel, dtype=dtype, max_side=4), label="base")
    shape = draw(hnp.array_shapes(min_dims=4 if layout == "channels_last" else 2,
                                  max_dims=4, min_side=1, max_side=4), label="shape")
    amaxes = [float(v) for v in base.amax.astype(np.float64).reshape(-1)]
    if layout == "step_sliced":
        shape = (shape[0] * 2,) + shape[1:]  # every other row is sliced away
    inputs = strategies.input_array(draw, shape, dtype, amaxes, base.num_bits, base.unsigned,
                                    base.narrow_range)
    amax = base.amax.astype(np.float64).max(initial=0.0) if base.amax.size else 0.0
    axis = draw(st.integers(0, len(shape) - 1), label="channel_axis")
    if per_channel:
        amax_shape = tuple(shape[i] if i == axis else 1 for i in range(len(shape)))
        if layout == "step_sliced":
            amax_shape = (1,) + amax_shape[1:]
        values = draw(st.lists(strategies.amax_values(), min_size=int(np.prod(amax_shape)),
                               max_size=int(np.prod(amax_shape))), label="amax")
        with np.errstate(over="ignore"):
            amax_arr = np.asarray(values).reshape(amax_shape).astype(base.amax.dtype)
    else:
        amax_arr = np.asarray(amax, dtype=base.amax.dtype)
    return layout, Case(inputs, amax_arr, base.num_bits, base.unsigned, base.narrow_range)


def _strided(layout, inputs, amax):
    """A non-contiguous view (and the source text that makes it)."""
    import torch

    if layout == "transposed":
        # Materialise the transpose, then view it back: same values, reversed strides.
        view = inputs.transpose(0, -1).contiguous().transpose(0, -1)
        return view, amax, "inputs = inputs.transpose(0, -1).contiguous().transpose(0, -1)"
    if layout == "step_sliced":
        return inputs[::2], amax, "inputs = inputs[::2]"
    if layout == "channels_last":
        return (inputs.to(memory_format=torch.channels_last), amax,
                "inputs = inputs.to(memory_format=torch.channels_last)")
    # expanded_amax: a per-channel amax given as a stride-0 expanded view.
    if amax.ndim == inputs.ndim:
        return inputs, amax.expand(inputs.shape), "amax = amax.expand(inputs.shape)"
    return inputs.t() if inputs.ndim == 2 else inputs, amax, "inputs = inputs.t()"


def check_strided(ctx):
    def body(drawn):
        layout, case = drawn
        for function in checked_functions(ctx.target):
            inputs, amax = tensors(ctx, case)
            strided, amax_view, how = _strided(layout, inputs, amax)
            contiguous = strided.contiguous()
            amax_contiguous = amax_view.contiguous()
            plain_case = Case(to_numpy(contiguous), to_numpy(amax_contiguous), case.num_bits,
                              case.unsigned, case.narrow_range)
            expected = target_outcome(ctx, function, plain_case, contiguous, amax_contiguous)
            actual = target_outcome(ctx, function, plain_case, strided, amax_view)
            if expected.problem:  # the contiguous call alone already misbehaves
                _fail(ctx, function, plain_case, expected.problem)
            message = verdict(function, expected, actual)
            if message is not None:
                message = (f"{layout} (non-contiguous) inputs give a different result from "
                           f"their contiguous copy: {message}")
                c = Case(case.inputs, case.amax, case.num_bits, case.unsigned, case.narrow_range)
                ctx.fail(message, call_snippet(
                    ctx.target, ctx.device, function, c, rule=ctx.rule, message=message,
                    expected=f"(contiguous copy) {expected.describe()}",
                    actual=actual.describe(), semantics=ctx.semantics,
                    after=[f"{how}  # then call again with the strided view",
                           f"result = target.{function}(inputs, amax, {c.num_bits!r}, "
                           f"{c.unsigned!r}, {c.narrow_range!r})"]), c, function)

    run_examples(ctx, strided_cases(), body)


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
        for function in checked_functions(ctx.target):
            check_call(ctx, function, case)

    run_examples(ctx, degenerate_cases(), body)


# -- output device ------------------------------------------------------------------

def check_device(ctx):
    from ..oracle import invoke, returned_tensors

    def body(case):
        for function in checked_functions(ctx.target):
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
        for function in checked_functions(ctx.target):
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
             "non-contiguous inputs and amax (transposed, sliced with a step, channels_last, "
             "expanded) give the values of their contiguous copies",
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
