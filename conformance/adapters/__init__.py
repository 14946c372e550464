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
import importlib.util
import sys

__all__ = ["MissingExtra", "Unsupported", "require", "triton_before_tensorflow"]


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


def triton_before_tensorflow(adapter: str) -> None:
    """Load Triton now, where it is installed, for an adapter that loads TensorFlow or Triton.

    TensorFlow and Triton each bundle LLVM. A process that loads TensorFlow and
    then Triton aborts ("Option 'bitcode-mdindex-threshold' registered more
    than once!"); Triton first, then TensorFlow, works. torchao and Brevitas
    load Triton themselves where it is installed. So every adapter that loads
    either calls this first, and one that needs Triton after TensorFlow is
    already loaded says so instead of taking the process down.
    """
    if "triton" in sys.modules or importlib.util.find_spec("triton") is None:
        return
    if "tensorflow" in sys.modules:
        if adapter == "tensorflow":
            return  # TensorFlow is in already: the adapters that load Triton will say so
        raise MissingExtra(
            f"the {adapter} adapter loads Triton, and TensorFlow is already loaded in this "
            "process: Triton's LLVM, registered after TensorFlow's, aborts the process. Run "
            "each target in its own process (--isolate), or load this one before TensorFlow."
        )
    importlib.import_module("triton")
