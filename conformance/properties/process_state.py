"""Process state: a call (and its backward) leaves the process's settings as it found them
(SPEC.md section 7).

Global torch and NumPy settings belong to the caller. A kernel that sets the
default dtype "to be sure its bound is float32", turns flush-denormal off
"for exact subnormals", silences NumPy's floating-point warnings or turns
deterministic algorithms on, and does not put them back, computes every value
right and changes what the caller's next, unrelated line computes. The
article touches none of them.

A setting a kernel forces to its own favourite value looks unchanged when
the caller already had that value, so each call is made twice: from the
state as found, and from every setting at another value (float64 default
dtype, flush-denormal on, grad mode off, one thread, deterministic
algorithms, anomaly mode, autocast, NumPy errors ignored, ...), set on the
thread that makes the call and restored after it.
The article's code calls the module-level ``logging.debug``, which configures
the root logger when it has no handler, so logging is not among the settings.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import sys
import warnings
from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from .. import strategies
from ..calls import TargetHung
from ..oracle import tensors
from ..strategies import Case
from . import _contract
from ._base import Property

__all__ = ["SETTINGS", "check"]


@dataclasses.dataclass(frozen=True)
class Setting:
    """One piece of process state: how to read it, write it, and write it in source."""

    name: str  # the source that reads it
    read: Callable[[], object]
    write: Callable[[object], None]
    text: Callable[[object], str]  # the source that sets it to a value
    other: Callable[[object], object] | None = None  # another value to start a call from
    show: Callable[[object], str] = repr
    same: Callable[[object, object], bool] = lambda before, after: before == after


def _torch():
    import torch

    return torch


def _flushes() -> bool:
    """Whether this thread flushes subnormals (torch.set_flush_denormal has no getter)."""
    return bool(np.float32(2.0**-140) * np.float32(1.5) == 0)


def _set_deterministic(value):
    """``torch.use_deterministic_algorithms`` without its first-call import of the inductor
    config (seconds), which is set too when something imported it."""
    torch = _torch()
    torch._C._set_deterministic_algorithms(value[0], warn_only=value[1])
    inductor = sys.modules.get("torch._inductor.config")
    if inductor is not None:
        inductor.deterministic = value[0]


def _np_random():
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    return name, keys.tobytes(), pos, has_gauss, gauss


def _set_np_random(state):
    name, keys, pos, has_gauss, gauss = state
    np.random.set_state((name, np.frombuffer(keys, dtype=np.uint32), pos, has_gauss, gauss))


def _filters():
    """The warnings filters, with the modules loaded when they were read."""
    return list(warnings.filters), frozenset(sys.modules)


def _same_filters(before, after) -> bool:
    """Equal, but for filters that a module imported during the call added for its own
    warning class (a lazy import's side effect, e.g. sympy's on torch's first backward)."""
    known = before[1]
    kept = [f for f in after[0] if f in before[0] or
            getattr(f[2], "__module__", "builtins") in known]
    return kept == before[0]


def _set_filters(value):
    warnings.filters[:] = value[0]


def _environ():
    """The environment, with the modules loaded when it was read."""
    return dict(os.environ), frozenset(sys.modules)


def _same_environ(before, after) -> bool:
    """Equal, but for variables added by a call that imported modules (torch's lazy
    initialization sets TORCHINDUCTOR_CACHE_DIR the first time a custom op runs)."""
    if before[0] == after[0]:
        return True
    imported = after[1] - before[1]
    changed = {k for k in before[0] if after[0].get(k) != before[0][k]}
    return bool(imported) and not changed


def _set_environ(saved):
    for key in set(os.environ) - set(saved[0]):
        del os.environ[key]
    os.environ.update(saved[0])


def _settings() -> tuple[Setting, ...]:
    torch = _torch()
    numpy_errors_off = {"all": "ignore"}
    return (
        Setting("torch.get_default_dtype()", torch.get_default_dtype, torch.set_default_dtype,
                lambda v: f"torch.set_default_dtype({v})",
                lambda v: torch.float64 if v != torch.float64 else torch.float32),
        Setting("bool(np.float32(2.0**-140) * np.float32(1.5) == 0)  # flush-denormal",
                _flushes, torch.set_flush_denormal, lambda v: f"torch.set_flush_denormal({v})",
                lambda v: not v),  # where unsupported, the start state reads False anyway
        Setting("torch.is_grad_enabled()", torch.is_grad_enabled, torch.set_grad_enabled,
                lambda v: f"torch.set_grad_enabled({v})", lambda v: not v),
        Setting("torch.get_num_threads()", torch.get_num_threads, torch.set_num_threads,
                lambda v: f"torch.set_num_threads({v})", lambda v: 1 if v > 1 else 2),
        Setting("(torch.are_deterministic_algorithms_enabled(), "
                "torch.is_deterministic_algorithms_warn_only_enabled())",
                lambda: (torch.are_deterministic_algorithms_enabled(),
                         torch.is_deterministic_algorithms_warn_only_enabled()),
                _set_deterministic,
                lambda v: f"torch.use_deterministic_algorithms({v[0]}, warn_only={v[1]})",
                lambda v: (not v[0], True)),
        Setting("(torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())",
                lambda: (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()),
                lambda v: torch.set_anomaly_enabled(*v),
                lambda v: f"torch.set_anomaly_enabled({v[0]}, {v[1]})",
                lambda v: (not v[0], False)),
        Setting("torch.is_warn_always_enabled()", torch.is_warn_always_enabled,
                torch.set_warn_always, lambda v: f"torch.set_warn_always({v})", lambda v: not v),
        Setting("(torch.is_autocast_enabled('cpu'), torch.get_autocast_dtype('cpu'))",
                lambda: (torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")),
                lambda v: (torch.set_autocast_enabled("cpu", v[0]),
                           torch.set_autocast_dtype("cpu", v[1])),
                lambda v: f"torch.set_autocast_enabled('cpu', {v[0]}); "
                          f"torch.set_autocast_dtype('cpu', {v[1]})",
                lambda v: (not v[0], v[1])),
        Setting("torch.is_autocast_cache_enabled()", torch.is_autocast_cache_enabled,
                torch.set_autocast_cache_enabled,
                lambda v: f"torch.set_autocast_cache_enabled({v})", lambda v: not v),
        Setting("torch.get_float32_matmul_precision()", torch.get_float32_matmul_precision,
                torch.set_float32_matmul_precision,
                lambda v: f"torch.set_float32_matmul_precision({v!r})",
                lambda v: "high" if v == "highest" else "highest"),
        Setting("torch.get_default_device()", torch.get_default_device,
                torch.set_default_device, lambda v: f"torch.set_default_device({str(v)!r})"),
        Setting("np.geterr()", np.geterr, lambda v: np.seterr(**v),
                lambda v: f"np.seterr(**{v!r})",
                lambda v: numpy_errors_off if v != {k: "ignore" for k in v} else
                {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}),
        Setting("np.get_printoptions()", np.get_printoptions, lambda v: np.set_printoptions(**v),
                lambda v: f"np.set_printoptions(**{v!r})"),
        Setting("vars(torch._tensor_str.PRINT_OPTS)",
                lambda: dict(vars(torch._tensor_str.PRINT_OPTS)),
                lambda v: vars(torch._tensor_str.PRINT_OPTS).update(v),
                lambda v: f"torch.set_printoptions(**{v!r})"),
        Setting("torch.get_rng_state()", lambda: bytes(torch.get_rng_state().numpy()),
                lambda v: torch.set_rng_state(torch.frombuffer(bytearray(v), dtype=torch.uint8)),
                lambda v: "torch.manual_seed(0)", show=lambda v: "(a generator state)"),
        Setting("np.random.get_state()", _np_random, _set_np_random,
                lambda v: "np.random.seed(0)", show=lambda v: "(a generator state)"),
        Setting("random.getstate()", random.getstate, random.setstate,
                lambda v: "random.seed(0)", show=lambda v: "(a generator state)"),
        Setting("warnings.filters", _filters, _set_filters, lambda v: "",
                show=lambda v: f"{len(v[0])} filters, first {v[0][:1]!r}", same=_same_filters),
        Setting("dict(os.environ)", _environ, _set_environ, lambda v: "",
                show=lambda v: f"{len(v[0])} variables", same=_same_environ),
        Setting("torch._C._len_torch_function_stack()", torch._C._len_torch_function_stack,
                lambda v: None, lambda v: ""),
        Setting("torch._C._len_torch_dispatch_stack()", torch._C._len_torch_dispatch_stack,
                lambda v: None, lambda v: ""),
    )


SETTINGS: tuple[Setting, ...] = ()  # filled on first use (torch is imported lazily)


def _all_settings() -> tuple[Setting, ...]:
    global SETTINGS
    if not SETTINGS:
        SETTINGS = _settings()
    return SETTINGS


def _read(settings) -> dict:
    return {s.name: s.read() for s in settings}


def _restore(settings, values):
    for s in settings:
        if not s.same(values[s.name], s.read()):
            s.write(values[s.name])


def _alterable(settings):
    return [s for s in settings if s.other is not None]


@st.composite
def process_cases(draw):
    """A call (sometimes one the article rejects), and which of its tensors require grad."""
    case = draw(strategies.cases(max_side=3), label="case")
    if draw(st.sampled_from([False, False, True]), label="raising"):
        # A negative amax: the article raises ValueError; settings must be restored anyway.
        case = Case(case.inputs, -np.abs(case.amax) - 1, case.num_bits, False,
                    case.narrow_range)
    grads = draw(st.sampled_from([(), ("inputs",), ("amax",), ("inputs", "amax")]),
                 label="grads")
    return case, grads


def _run(ctx, function, case, grads, altered):
    """On the call's thread: start state, the state before and after call and backward."""
    settings = _all_settings()
    fn = getattr(ctx.target, function)

    def run():
        original = _read(settings)
        try:
            for s in altered:
                other = s.other(original[s.name])
                if other is not None:
                    s.write(other)
            start = _read(settings)
            inputs, amax = tensors(ctx, case, grads=grads)
            try:
                result = fn(inputs, amax, case.num_bits, case.unsigned, case.narrow_range)
                out = result[0] if isinstance(result, (tuple, list)) else result
                if getattr(out, "requires_grad", False):
                    out.backward(_torch().ones_like(out))
            except Exception:  # raising is other properties' business; the state is this one's
                pass
            return start, _read(settings)
        finally:
            _restore(settings, original)

    main = _read(settings)
    try:
        return ctx.caller(run, what=f"{function}()")
    except TargetHung:
        _restore(settings, main)  # the stuck call may have left global settings changed
        raise


def _changed(settings, start, end):
    """The first setting whose value the call changed, or None."""
    return next((s for s in settings if not s.same(start[s.name], end[s.name])), None)


def _fail(ctx, function, case, grads, altered, setting, start, end):
    out = "result[0]" if function == "tensor_quant" else "result"
    setup = ["import numpy as np, os, random, warnings"] + \
        [t for t in (s.text(start[s.name]) for s in altered) if t]
    backward = [f"if {out}.requires_grad:", f"    {out}.backward(torch.ones_like({out}))"]
    message = (f"{setting.name} was {setting.show(start[setting.name])} before the call"
               f"{' and its backward' if grads else ''} and {setting.show(end[setting.name])} "
               "after it; a call must leave the process's settings as it found them")
    call = "\n".join(setup + [_contract.call_text(function, case)] + (backward if grads else []))
    _contract.fail(ctx, function, case, message, grads=grads, call=call,
                   after=[f"print({setting.name.split('  #')[0]})"
                          f"  # expected: {setting.show(start[setting.name])}"])


def check(ctx):
    def body(drawn):
        case, grads = drawn
        settings = _all_settings()
        for function, altered in itertools.product(_contract.functions(ctx),
                                                   ((), _alterable(settings))):
            start, end = _run(ctx, function, case, grads, altered)
            setting = _changed(settings, start, end)
            if setting is None:
                continue
            if altered:  # the reproduction sets only that setting, when that alone shows it
                alone = [setting] if setting in altered else []
                start_alone, end_alone = _run(ctx, function, case, grads, alone)
                if _changed(settings, start_alone, end_alone) is setting:
                    altered, start, end = alone, start_alone, end_alone
            _fail(ctx, function, case, grads, altered, setting, start, end)

    _contract.examples(ctx, process_cases(), body, share=0.15)


PROPERTIES = [
    Property("process_state",
             "a call and its backward, raising or not, leave global torch and NumPy state as "
             "they found it (default dtype, flush-denormal, grad mode, threads, deterministic "
             "and anomaly modes, autocast, NumPy error state, random generators, ...)",
             frozenset({"fake_tensor_quant"}), check),
]
