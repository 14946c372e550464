"""Golden vectors: small JSON files pinning the article's semantics case by case.

``load_all()`` reads the shipped files (``vectors/data``) into ``Case``
objects; ``write_cases`` writes cases in the same format (the engine uses it
to export failures). ``python -m vectors`` regenerates the files from
``vectors.cases``; ``python -m vectors --check`` says whether they are stale.
The file format is described in ``vectors.io`` and ``vectors/README.md``.
"""

from .expect import expected
from .io import (
    DATA_DIR,
    FORMAT,
    FUNCTIONS,
    Case,
    Expected,
    VectorFormatError,
    load_all,
    load_file,
    write_cases,
)

__all__ = [
    "DATA_DIR",
    "FORMAT",
    "FUNCTIONS",
    "Case",
    "Expected",
    "VectorFormatError",
    "expected",
    "load_all",
    "load_file",
    "write_cases",
]
