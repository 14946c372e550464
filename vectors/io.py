"""Reading and writing golden-vector files (format ``tensor-quant-vectors/1``).

One JSON file per topic, ``{"format": ..., "topic": ..., "cases": [...]}``,
cases sorted by id. Each case::

    {
      "id": "article_seed12345_tensor_quant",        # unique over all files
      "rule": "SPEC 3 golden example: ...",           # what it pins, one line
      "function": "tensor_quant",                     # see FUNCTIONS
      "inputs": {"inputs": ARRAY, "amax": ARRAY},     # + "grad_output" for ste_gradient
      "arguments": {"num_bits": 8, "unsigned": false, "narrow_range": true},
      "expected": {"outputs": ARRAY, "scale": ARRAY}  # or "grad", "raises", "attributes"
    }

ARRAY is ``{"dtype": "float32", "shape": [10], "bits": ["0x3f7b51e2", ...],
"values": ["0.9817182", ...]}``: ``bits`` are the exact IEEE bit patterns in
C order (bfloat16 as its 16 bits); ``values`` is the shortest decimal that
reads back to the same bits, for people only, and the loader rejects a file
where the two disagree (except that any NaN reads as ``nan``).

``expected`` holds, by function:

* ``tensor_quant``: ``outputs`` and ``scale``; ``fake_tensor_quant``:
  ``outputs``; ``ste_gradient``: ``grad`` (the input gradient of both
  functions for ``grad_output``; ``arguments`` may name ``backward_of``);
* any function: ``raises`` (the exception class name, e.g. ``"TypeError"``)
  and optionally ``match``, a substring the article's message contains;
* ``descriptor`` (``QuantDescriptor(**arguments)``) and
  ``predefined_descriptor`` (``arguments = {"name": "QUANT_DESC_..."}``):
  ``attributes`` (every read-only property) and ``logs_error``;
* SPEC section 6 (``SECTION6_FUNCTIONS``): ``legacy_fake_tensor_quant``,
  ``fake_affine_tensor_quant`` (inputs ``inputs``, ``min_range``,
  ``max_range``; argument ``num_bits``) and ``scaled_e4m3`` (``inputs`` and,
  when given, ``amax``; arguments ``E``, ``M``) expect ``outputs``; their
  gradients ``legacy_gradient``, ``affine_gradient``, ``e4m3_gradient`` take
  ``grad_output`` too and expect ``grad``; ``descriptor_methods``
  (``arguments.kwargs``, optionally ``arguments.other``) expects ``methods``,
  one outcome per method (``{"returns": VALUE}``, ``{"raises": NAME}`` or
  ``{"attributes": {...}}``); ``descriptor_from_yaml`` (``arguments.yaml``)
  expects ``attributes`` or ``raises``.

Descriptor arguments and attributes are typed VALUEs: JSON null, booleans,
integers and strings stand for themselves; anything else is an object with a
``type``: ``float`` / ``numpy.float64`` / ``numpy.float32`` (``bits``),
``numpy.int64`` (``value``), ``tuple`` / ``list`` (``items``), ``ndarray``
(an ARRAY), ``dict`` (``items``: ``[key, value]`` pairs, in order).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Iterable, Mapping

import numpy as np

from reference import FLOAT_DTYPES, UINT, dtype_name

__all__ = [
    "DATA_DIR",
    "FORMAT",
    "FUNCTIONS",
    "GRADIENT_OF",
    "SECTION6_FUNCTIONS",
    "Case",
    "Expected",
    "VectorFormatError",
    "decode_array",
    "decode_case",
    "encode_array",
    "encode_case",
    "load_all",
    "load_file",
    "owned_topic",
    "render",
    "stale_files",
    "write_cases",
]

FORMAT = "tensor-quant-vectors/1"
DATA_DIR = pathlib.Path(__file__).resolve().parent / "data"
#: SPEC section 6: the rest of upstream's module (``legacy_fake_tensor_quant`` takes the
#: arguments of ``fake_tensor_quant``; ``*_gradient`` are input gradients of the named
#: function for ``inputs.grad_output``; ``descriptor_methods`` calls the methods of
#: ``QuantDescriptor(**arguments.kwargs)``; ``descriptor_from_yaml`` loads ``arguments.yaml``).
SECTION6_FUNCTIONS = ("legacy_fake_tensor_quant", "legacy_gradient", "fake_affine_tensor_quant",
                      "affine_gradient", "scaled_e4m3", "e4m3_gradient", "descriptor_methods",
                      "descriptor_from_yaml")
FUNCTIONS = ("tensor_quant", "fake_tensor_quant", "ste_gradient", "descriptor",
             "predefined_descriptor", *SECTION6_FUNCTIONS)
#: Each section 6 gradient function: the input gradient of this forward function.
GRADIENT_OF = {"legacy_gradient": "legacy_fake_tensor_quant",
               "affine_gradient": "fake_affine_tensor_quant",
               "e4m3_gradient": "scaled_e4m3"}


class VectorFormatError(ValueError):
    """A vector file that does not follow ``tensor-quant-vectors/1``."""


@dataclasses.dataclass(frozen=True)
class Expected:
    """What a case expects; unused fields are None."""

    outputs: np.ndarray | None = None
    scale: np.ndarray | None = None
    grad: np.ndarray | None = None
    raises: str | None = None
    match: str | None = None
    attributes: Mapping[str, object] | None = None
    logs_error: bool | None = None
    #: ``descriptor_methods``: method name -> ``{"returns": value}``, ``{"raises": name}``
    #: or ``{"attributes": {...}}`` (a descriptor returned).
    methods: Mapping[str, Mapping[str, object]] | None = None


@dataclasses.dataclass(frozen=True)
class Case:
    """One golden vector: a call and its expected result.

    ``inputs`` maps argument names to NumPy arrays (bfloat16 through
    ``ml_dtypes``); ``arguments`` holds the other arguments as Python values.
    ``topic`` names the file the case is written to (``<topic>.json``).
    """

    id: str
    rule: str
    function: str
    inputs: Mapping[str, np.ndarray]
    arguments: Mapping[str, object]
    expected: Expected
    topic: str = "cases"

    def __post_init__(self):
        if self.function not in FUNCTIONS:
            raise VectorFormatError(
                f"case {self.id!r}: function must be one of {', '.join(FUNCTIONS)}, "
                f"got {self.function!r}."
            )


# --- arrays ---------------------------------------------------------------


def _shortest_decimal(value, dtype) -> str:
    """The shortest ``%g`` text that reads back to the same bits in ``dtype``."""
    v = float(value)
    if np.isnan(v):
        return "nan"
    if np.isinf(v) or v == 0:
        return repr(v)
    want = np.array(v, dtype=dtype).view(UINT[dtype.itemsize])
    for digits in range(1, 18):
        text = f"{v:.{digits}g}"
        with np.errstate(over="ignore"):  # 7e+04 overflows float16: not the one
            if np.array(float(text), dtype=dtype).view(UINT[dtype.itemsize]) == want:
                return text
    return repr(v)


def encode_array(array) -> dict:
    """An ARRAY object: dtype, shape, exact bits and readable decimals."""
    array = np.asarray(array)
    name = dtype_name(array.dtype)
    if name not in FLOAT_DTYPES:
        raise VectorFormatError(f"only floating arrays can be stored, got dtype {name}.")
    flat = np.ascontiguousarray(array).reshape(-1)
    width = array.dtype.itemsize * 2
    bits = flat.view(UINT[array.dtype.itemsize])
    return {
        "dtype": name,
        "shape": list(array.shape),
        "bits": [f"0x{int(b):0{width}x}" for b in bits],
        "values": [_shortest_decimal(v, array.dtype) for v in flat],
    }


def decode_array(obj: Mapping, where: str = "array") -> np.ndarray:
    """The NumPy array an ARRAY object describes; checks values against bits."""
    try:
        dtype = FLOAT_DTYPES[obj["dtype"]]
        shape = tuple(int(n) for n in obj["shape"])
        bits = np.array([int(b, 16) for b in obj["bits"]], dtype=UINT[dtype.itemsize])
    except (KeyError, TypeError, ValueError) as exc:
        raise VectorFormatError(
            f"{where}: an array needs dtype (one of {', '.join(FLOAT_DTYPES)}), shape and "
            f"hex bits; {exc!r}"
        ) from None
    if bits.size != int(np.prod(shape)):
        raise VectorFormatError(f"{where}: shape {shape} needs {int(np.prod(shape))} bits, "
                                f"got {bits.size}.")
    array = bits.view(dtype).reshape(shape)
    values = obj.get("values")
    if values is not None:
        _check_values(array, values, where)
    return array


def _check_values(array, values, where):
    flat = array.reshape(-1)
    if len(values) != flat.size:
        raise VectorFormatError(f"{where}: {len(values)} values for {flat.size} bits.")
    width = UINT[array.dtype.itemsize]
    for i, (bit_value, text) in enumerate(zip(flat, values, strict=True)):
        same_nan = np.isnan(float(bit_value)) and text.lstrip("+-") == "nan"
        with np.errstate(over="ignore"):
            same_bits = np.array(float(text), dtype=array.dtype).view(width) == \
                np.array(bit_value, dtype=array.dtype).view(width)
        if not (same_nan or same_bits):
            raise VectorFormatError(
                f"{where}[{i}]: the decimal {text!r} does not match the bits; the bits are "
                f"normative, regenerate with `python -m vectors`."
            )


# --- typed values (descriptor arguments and attributes) --------------------


def encode_value(value):
    """A typed VALUE (see the module docstring) for a descriptor argument."""
    if value is None or isinstance(value, (bool, int, str)) and type(value) in (bool, int, str):
        return value
    if isinstance(value, np.ndarray):
        return {"type": "ndarray", **encode_array(value)}
    if isinstance(value, (np.float32, np.float64, float)):
        kind = {np.float32: "numpy.float32", np.float64: "numpy.float64"}.get(type(value), "float")
        dtype = np.dtype(np.float32 if kind == "numpy.float32" else np.float64)
        return {"type": kind, "bits": encode_array(np.array(value, dtype))["bits"][0],
                "value": _shortest_decimal(value, dtype)}
    if isinstance(value, np.int64):
        return {"type": "numpy.int64", "value": int(value)}
    if isinstance(value, (tuple, list)):
        return {"type": type(value).__name__, "items": [encode_value(v) for v in value]}
    if isinstance(value, dict):  # in order: the order of dict() is part of the contract
        return {"type": "dict", "items": [[encode_value(k), encode_value(v)]
                                          for k, v in value.items()]}
    raise VectorFormatError(f"cannot store a value of type {type(value).__name__}: {value!r}")


def decode_value(obj, where="value"):
    """The Python value a typed VALUE stands for."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    kind = obj.get("type") if isinstance(obj, Mapping) else None
    if kind in ("float", "numpy.float64", "numpy.float32"):
        dtype = np.float32 if kind == "numpy.float32" else np.float64
        array = decode_array({"dtype": np.dtype(dtype).name, "shape": [],
                              "bits": [obj["bits"]], "values": [obj["value"]]}, where)
        scalar = array[()]
        return float(scalar) if kind == "float" else scalar
    if kind == "numpy.int64":
        return np.int64(obj["value"])
    if kind in ("tuple", "list"):
        items = [decode_value(v, f"{where}[{i}]") for i, v in enumerate(obj["items"])]
        return tuple(items) if kind == "tuple" else items
    if kind == "ndarray":
        return decode_array(obj, where)
    if kind == "dict":
        return {decode_value(k, f"{where} key"): decode_value(v, f"{where}[{k!r}]")
                for k, v in obj["items"]}
    raise VectorFormatError(f"{where}: unknown value {obj!r}")


# --- cases ----------------------------------------------------------------


def encode_case(case: Case) -> dict:
    """The JSON object of one case."""
    e = case.expected
    expected = {}
    for name in ("outputs", "scale", "grad"):
        if getattr(e, name) is not None:
            expected[name] = encode_array(getattr(e, name))
    if e.raises is not None:
        expected["raises"] = e.raises
    if e.match is not None:
        expected["match"] = e.match
    if e.attributes is not None:
        expected["attributes"] = {k: encode_value(v) for k, v in e.attributes.items()}
    if e.logs_error is not None:
        expected["logs_error"] = e.logs_error
    if e.methods is not None:
        expected["methods"] = {name: _encode_outcome(o) for name, o in e.methods.items()}
    return {
        "id": case.id,
        "rule": case.rule,
        "function": case.function,
        "inputs": {k: encode_array(v) for k, v in case.inputs.items()},
        "arguments": {k: encode_value(v) for k, v in case.arguments.items()},
        "expected": expected,
    }


def decode_case(obj: Mapping, topic: str = "cases") -> Case:
    """The Case a JSON object describes."""
    try:
        cid = obj["id"]
        where = f"case {cid!r}"
        e = obj["expected"]
        expected = Expected(
            **{n: decode_array(e[n], f"{where} expected.{n}")
               for n in ("outputs", "scale", "grad") if n in e},
            raises=e.get("raises"),
            match=e.get("match"),
            attributes=None if "attributes" not in e else {
                k: decode_value(v, f"{where} attribute {k}") for k, v in e["attributes"].items()
            },
            logs_error=e.get("logs_error"),
            methods=None if "methods" not in e else {
                name: _decode_outcome(o, f"{where} method {name}")
                for name, o in e["methods"].items()},
        )
        return Case(
            id=cid,
            rule=obj["rule"],
            function=obj["function"],
            inputs={k: decode_array(v, f"{where} input {k}") for k, v in obj["inputs"].items()},
            arguments={k: decode_value(v, f"{where} argument {k}")
                       for k, v in obj["arguments"].items()},
            expected=expected,
            topic=topic,
        )
    except KeyError as exc:
        raise VectorFormatError(f"a case lacks the field {exc}: {str(obj)[:200]}") from None


def _encode_outcome(outcome: Mapping) -> dict:
    if "returns" in outcome:
        return {"returns": encode_value(outcome["returns"])}
    if "attributes" in outcome:
        return {"attributes": {k: encode_value(v) for k, v in outcome["attributes"].items()}}
    return {"raises": str(outcome["raises"])}


def _decode_outcome(obj: Mapping, where: str) -> dict:
    if "returns" in obj:
        return {"returns": decode_value(obj["returns"], where)}
    if "attributes" in obj:
        return {"attributes": {k: decode_value(v, f"{where} attribute {k}")
                               for k, v in obj["attributes"].items()}}
    if "raises" in obj:
        return {"raises": obj["raises"]}
    raise VectorFormatError(f"{where}: an outcome holds returns, attributes or raises: {obj!r}")


def render(cases: Iterable[Case]) -> dict[str, str]:
    """``{file name: text}`` exactly as ``write_cases`` writes them."""
    by_topic: dict[str, list[Case]] = {}
    for case in cases:
        by_topic.setdefault(case.topic, []).append(case)
    files = {}
    for topic, group in sorted(by_topic.items()):
        document = {"format": FORMAT, "topic": topic,
                    "cases": [encode_case(c) for c in sorted(group, key=lambda c: c.id)]}
        files[f"{topic}.json"] = _dumps(document) + "\n"
    return files


def _dumps(obj, indent: str = "") -> str:
    """Deterministic JSON: sorted keys, one key per line, lists of scalars on one line."""
    inner = indent + "  "
    if isinstance(obj, dict) and obj:
        items = [f"{inner}{json.dumps(k)}: {_dumps(obj[k], inner)}" for k in sorted(obj)]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(inner + _dumps(v, inner) for v in obj) + "\n" + indent + "]"
    return json.dumps(obj, ensure_ascii=True)


def owned_topic(path) -> str | None:
    """The topic of ``path`` if it is a vector file of this format, else None.

    Only such files may be overwritten or deleted by the writers: a file the
    code did not write (no ``format`` tag of ours) is never touched.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    topic = document.get("topic")
    return topic if isinstance(topic, str) else None


def write_cases(cases: Iterable[Case], directory) -> list[pathlib.Path]:
    """Write ``cases`` to ``directory/<topic>.json`` (one file per topic); return the paths.

    Refuses (VectorFormatError, before writing anything) to overwrite a file
    that is not a vector file of this format: it is someone else's.
    """
    cases = list(cases)
    seen = set()
    for case in cases:
        if case.id in seen:
            raise VectorFormatError(f"two cases share the id {case.id!r}; ids must be unique.")
        seen.add(case.id)
    directory = pathlib.Path(directory)
    files = render(cases)
    foreign = sorted(name for name in files
                     if (directory / name).exists() and owned_topic(directory / name) is None)
    if foreign:
        raise VectorFormatError(
            f"{directory}: {', '.join(foreign)} exist{'s' if len(foreign) == 1 else ''} and "
            f"{'is' if len(foreign) == 1 else 'are'} not {FORMAT} vector files; they are "
            "left alone. Write the vectors to another folder, or move those files."
        )
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = directory / name
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def stale_files(directory, names) -> list[pathlib.Path]:
    """The vector files of this format in ``directory`` that are not among ``names``
    (topics the code no longer writes); files of any other kind are not listed."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.json")
                  if p.name not in names and owned_topic(p) is not None)


def load_file(path) -> list[Case]:
    """The cases of one vector file."""
    path = pathlib.Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise VectorFormatError(f"{path}: not JSON ({exc}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise VectorFormatError(f"{path}: expected a JSON object with format {FORMAT!r}.")
    topic = document.get("topic", path.stem)
    cases = document.get("cases")
    if not isinstance(cases, list):
        raise VectorFormatError(f"{path}: \"cases\" must be a list of case objects.")
    try:
        return [decode_case(obj, topic) for obj in cases]
    except VectorFormatError as exc:
        raise VectorFormatError(f"{path}: {exc}") from None
    except (TypeError, AttributeError, ValueError, KeyError) as exc:  # a wrong structure
        raise VectorFormatError(f"{path}: a case does not follow {FORMAT!r} ({type(exc).__name__}: "
                                f"{exc}); see vectors/io.py for the format.") from None


def load_all(directory=None) -> list[Case]:
    """Every case of every ``*.json`` file in ``directory`` (default: the shipped vectors)."""
    directory = pathlib.Path(directory) if directory is not None else DATA_DIR
    if not directory.is_dir():
        raise VectorFormatError(f"no vector directory at {directory}; pass an existing folder.")
    cases = []
    for path in sorted(directory.glob("*.json")):
        cases.extend(load_file(path))
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise VectorFormatError(f"{directory}: duplicate case ids {duplicates}.")
    return cases
