"""Adapters: the article's API on top of the implementations people actually run.

Each adapter is a target module (``fake_tensor_quant`` and ``CONFORMANCE_TARGET``)
wrapping one real kernel: ``torch_native`` (``torch.fake_quantize_*``),
``modelopt`` (NVIDIA ModelOpt), ``onnxruntime`` and ``onnx_reference``
(QuantizeLinear -> DequantizeLinear). Their packages are optional: importing an
adapter whose package is missing raises ``MissingExtra``, whose message names
the extra to install. Each adapter's known, real non-conformances are listed in
``expectations/<name>.toml``.
"""

from __future__ import annotations

import importlib

__all__ = ["MissingExtra", "Unsupported", "require"]


class MissingExtra(ImportError):
    """An adapter's optional package is not installed; the message says how to get it."""


class Unsupported(NotImplementedError):
    """The wrapped kernel cannot express this call (e.g. ONNX has no 7-bit integer)."""


def require(module: str, extra: str, adapter: str):
    """Import ``module`` or raise MissingExtra naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"the {adapter} adapter needs the package {module!r}, which is not installed "
            f"({exc}); install the extra: pip install 'tensor-quant-conformance[{extra}]'"
        ) from exc
