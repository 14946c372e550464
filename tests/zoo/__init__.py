"""A zoo of tensor_quant kernels that prove the suite can fail.

Every module here is a conformance target (``--target tests.zoo.NAME``).
``correct_*`` modules implement the article exactly, written differently
from the built-in kernel, and must pass everything. Every other public
module is the article's kernel (``_base.Kernel``) with exactly one bug,
named with the SPEC.md rule it breaks in its docstring, and declares
``CAUGHT_BY``: the properties of which at least one must fail for it.
"""

import pkgutil

__all__ = ["members"]


def members() -> list[str]:
    """The names of every zoo member module, sorted (private helpers excluded)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
