"""Output paths, checked before any work: a usage error (exit 2) now, not a traceback later.

A sweep, a fingerprint or a report may run for minutes; finding only then
that ``--json`` names a folder, or a folder that does not exist, loses the
run and ends with a traceback and exit 1, the code for "does not conform".
These checks run first and raise UsageError with the fix.
"""

from __future__ import annotations

import os
import tempfile

from ..errors import UsageError

__all__ = ["check_output_file", "check_output_folder"]


def _check_writable_folder(folder: str, what: str) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass  # a real write: os.access says yes to root on a read-only file system
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {folder} ({exc.strerror or exc}).") from None


def check_output_file(path: str, flag: str) -> None:
    """UsageError unless a file can be written (or rewritten) at ``path``."""
    what = f"{flag} {path}"
    full = os.path.abspath(path)
    if os.path.isdir(full):
        raise UsageError(f"{what}: is a folder; name a file in it, e.g. "
                         f"{os.path.join(path, 'sweep.json')}.")
    if os.path.exists(full) and not os.path.isfile(full):
        raise UsageError(f"{what}: exists and is not a regular file; name another path.")
    folder = os.path.dirname(full)
    if not os.path.isdir(folder):
        raise UsageError(f"{what}: the folder {folder} does not exist; create it first.")
    if os.path.exists(full) and not os.access(full, os.W_OK):
        raise UsageError(f"{what}: the file exists and is not writable.")
    _check_writable_folder(folder, what)


def check_output_folder(path: str, flag: str, names=()) -> None:
    """UsageError unless ``path`` is a writable folder where the files ``names`` can be written."""
    what = f"{flag} {path}"
    if not os.path.isdir(path):
        raise UsageError(f"{what}: no such folder; create it first.")
    _check_writable_folder(path, what)
    for name in names:
        if os.path.exists(os.path.join(path, name)):
            check_output_file(os.path.join(path, name), flag)
