"""Golden vectors: every case in vectors/data/*.json replayed against the target.

The vector files (format ``tensor-quant-vectors/1``, see ``vectors.io``) hold
the article's semantics. A target that declares variations is held to the
reference's answer for the same call under those variations instead.
"""

from __future__ import annotations

import numpy as np

from vectors.io import SECTION6_FUNCTIONS

from ..compare import first_mismatch
from ..convert import to_numpy, to_torch
from ..oracle import NAMES, returned_tensors, target_outcome, tensors
from ..repro import array_bits, call_snippet, tensor_literal
from ..strategies import Case
from ._base import Property, Skip
from .descriptor import attribute_mismatch, build


def load_cases(directory=None):
    """Every vector case (the shipped ones unless ``directory`` is given)."""
    from vectors import io

    return io.load_all(directory)


def expected_for(ctx, vcase):
    """The stored expectation, or the reference's under the target's variations."""
    if not ctx.semantics.changes():
        return vcase.expected
    from vectors import expect

    return expect.expected(vcase.function, vcase.inputs, vcase.arguments, ctx.semantics)


def _raised_names(kind: type) -> set[str]:
    return {c.__name__ for c in kind.__mro__}


def not_applicable(ctx, vcase) -> str | None:
    """Why ``vcase`` cannot be replayed against the target (a part it does not expose)."""
    function = vcase.function
    if function == "ste_gradient":
        function = vcase.arguments.get("backward_of", "fake_tensor_quant")
    if function == "tensor_quant" and ctx.target.tensor_quant is None:
        return "the target exposes no tensor_quant"
    if function in ("descriptor", "predefined_descriptor") and ctx.target.descriptor is None:
        return "the target exposes no descriptor"
    if function == "predefined_descriptor" and \
            getattr(ctx.target.obj, vcase.arguments["name"], None) is None:
        return f"the target has no {vcase.arguments['name']}"
    return None


def _replay_section6(ctx, vcase) -> str | None:
    """SPEC section 6's cases: replayed by the modules of their properties."""
    from . import _section6, serialization

    if vcase.function.startswith("descriptor_"):
        return serialization.replay_vector(ctx, vcase, vcase.expected)
    return _section6.replay_vector(ctx, vcase, vcase.expected)


def replay(ctx, vcase) -> str | None:
    """Why the target breaks ``vcase``, or None (also None when the case does not apply)."""
    if vcase.function in SECTION6_FUNCTIONS:
        return _replay_section6(ctx, vcase)
    if not_applicable(ctx, vcase):
        return None
    expected = expected_for(ctx, vcase)
    if vcase.function in ("descriptor", "predefined_descriptor"):
        return _replay_descriptor(ctx, vcase, expected)
    return _replay_array(ctx, vcase, expected)


def _replay_descriptor(ctx, vcase, expected):
    if vcase.function == "predefined_descriptor":
        actual, logged = getattr(ctx.target.obj, vcase.arguments["name"]), False
    else:
        actual, logged = ctx.caller(
            lambda: build(lambda: ctx.target.descriptor(**vcase.arguments)), what="descriptor")
    if expected.raises is not None:
        if not isinstance(actual, Exception):
            return f"the descriptor was accepted, but should raise {expected.raises}"
        if expected.raises not in _raised_names(type(actual)):
            return f"raised {type(actual).__name__}: {actual}, but should raise {expected.raises}"
        return None
    if isinstance(actual, Exception):
        return f"raised {type(actual).__name__}: {actual}, but should be accepted"
    if expected.attributes is not None:
        message = attribute_mismatch(dict(expected.attributes), actual)
        if message:
            return message
    if expected.logs_error and vcase.function == "descriptor" and not logged:
        return "no error was logged, but num_bits=0 must log one"
    return None


def _replay_array(ctx, vcase, expected):
    gradient = vcase.function == "ste_gradient"
    message = _replay_array_once(ctx, vcase, expected, grad_inputs=gradient)
    if message is None and not gradient:
        # SPEC 3: the STE lives in backward only, so the forward bits must not change
        # when the inputs require grad (a detach()-built STE can turn inf into NaN).
        message = _replay_array_once(ctx, vcase, expected, grad_inputs=True)
        if message is not None:
            message += GRAD_NOTE
    return message


#: Appended to a vector failure that shows only when the inputs require grad.
GRAD_NOTE = " (with inputs requiring grad)"


def _replay_array_once(ctx, vcase, expected, *, grad_inputs):
    args = vcase.arguments
    case = Case(vcase.inputs["inputs"], vcase.inputs["amax"], args.get("num_bits", 8),
                args.get("unsigned", False), args.get("narrow_range", True))
    gradient = vcase.function == "ste_gradient"
    function = args.get("backward_of", "fake_tensor_quant") if gradient else vcase.function
    inputs, amax = tensors(ctx, case, requires_grad=grad_inputs)
    returned = []

    def call():
        returned.append(getattr(ctx.target, function)(inputs, amax, case.num_bits,
                                                      case.unsigned, case.narrow_range))
        return returned[-1]

    outcome = target_outcome(ctx, function, case, inputs, amax, call=call)
    if outcome.problem:
        return outcome.problem
    if outcome.raised is not None:
        if expected.raises is not None and expected.raises in _raised_names(outcome.raised):
            return None
        want = f"should raise {expected.raises}" if expected.raises else "should not raise"
        return f"{function} raised {outcome.raised.__name__}: {outcome.error}, but {want}"
    if expected.raises is not None:
        return f"{function} returned normally, but should raise {expected.raises}"
    values = outcome.values
    if gradient:
        output = returned_tensors(function, returned[0])[0][0]
        grad_output = to_torch(vcase.inputs["grad_output"], ctx.device)
        try:
            ctx.caller(lambda: output.backward(grad_output), what=f"{function}() backward()")
        except Exception as exc:  # TargetHung and TargetAborted included
            return f"{function}'s backward raised {type(exc).__name__}: {exc}"
        if inputs.grad is None:
            return "inputs.grad is None after backward()"
        values = (to_numpy(inputs.grad),)
    names = ("grad",) if gradient else NAMES[function]
    for name, actual in zip(names, values, strict=False):
        want = getattr(expected, name)
        if want is None:
            continue
        mismatch = first_mismatch(want, actual, name=name)
        if mismatch is not None:
            return f"{mismatch} (expected {array_bits(want)}; got {array_bits(actual)})"
    return None


def snippet(ctx, vcase, message) -> str:
    """A reproduction of one failing vector case."""
    if vcase.function in SECTION6_FUNCTIONS and not vcase.function.startswith("descriptor_"):
        from ..section6_calls import Call
        from ._section6 import snippet as section6_snippet

        return section6_snippet(ctx, Call(vcase.function, dict(vcase.inputs),
                                          dict(vcase.arguments)), message,
                                f"vector {vcase.id}: {vcase.rule}")
    if vcase.function in ("descriptor_methods", "descriptor_from_yaml"):
        from ..repro import import_lines

        name = ctx.target.descriptor.__name__
        call = (f"target.{name}.from_yaml({vcase.arguments['yaml']!r}).__dict__"
                if vcase.function == "descriptor_from_yaml"
                else f"target.{name}(**{dict(vcase.arguments['kwargs'])!r}).to_yaml()")
        return "\n".join([f"# Vector {vcase.id}: {vcase.rule}", f"# What happened: {message}",
                          "import numpy as np", "from numpy import array, inf, nan",
                          *import_lines(ctx.target), f"print({call})"])
    if vcase.function in ("descriptor", "predefined_descriptor"):
        from ..repro import import_lines

        call = (f"target.{vcase.arguments['name']}" if vcase.function == "predefined_descriptor"
                else f"target.{ctx.target.descriptor.__name__}(**{dict(vcase.arguments)!r})")
        return "\n".join([f"# Vector {vcase.id}: {vcase.rule}", f"# What happened: {message}",
                          "import numpy as np", "from numpy import array",
                          *import_lines(ctx.target), f"print({call})"])
    args = vcase.arguments
    case = Case(vcase.inputs["inputs"], vcase.inputs["amax"], args.get("num_bits", 8),
                args.get("unsigned", False), args.get("narrow_range", True))
    gradient = vcase.function == "ste_gradient"
    function = args.get("backward_of", "fake_tensor_quant") if gradient else vcase.function
    after = []
    if gradient:
        first = "[0]" if function == "tensor_quant" else ""
        after = [f"result{first}.backward({tensor_literal(vcase.inputs['grad_output'])})",
                 "print(inputs.grad)"]
    return call_snippet(ctx.target, ctx.device, function, case,
                        rule=f"vector {vcase.id}: {vcase.rule}", message=message,
                        semantics=ctx.semantics, after=after,
                        grads=("inputs",) if gradient or message.endswith(GRAD_NOTE) else ())


def check(ctx):
    try:
        cases = load_cases()
    except (ImportError, ValueError) as exc:
        raise Skip(f"no golden vectors to replay: {exc}") from None
    if not cases:
        raise Skip("no golden vectors to replay: vectors/data holds no cases")
    for vcase in cases:
        if ctx.on_example is not None:
            ctx.on_example()
        with np.errstate(all="ignore"):
            message = replay(ctx, vcase)
        if message is not None:
            ctx.fail(f"vector {vcase.id}: {message}", snippet(ctx, vcase, message), vcase,
                     vcase.function)


PROPERTIES = [
    Property("golden_vectors",
             "every golden vector in vectors/data/*.json (the article's worked example, "
             "thresholds, ties, errors, descriptors) replays exactly",
             frozenset({"fake_tensor_quant"}), check),
]
