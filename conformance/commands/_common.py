"""Options and checks the commands that run targets share.

Everything here runs before any work: a bad option, or an output that cannot
be written, is a usage error (exit 2) with the fix, not a traceback after the
whole run.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import tempfile

from ..calls import DEFAULT_CALL_TIMEOUT, DEFAULT_IMPORT_TIMEOUT, seconds
from ..errors import UsageError

__all__ = ["add_execution_options", "output_file", "output_folder"]


def add_execution_options(parser, *, isolate_alias: bool = False) -> None:
    """``--call-timeout``, ``--import-timeout`` and ``--in-process``."""
    parser.add_argument("--call-timeout", type=seconds, default=DEFAULT_CALL_TIMEOUT,
                        metavar="S", help="seconds one call of the target may take before it "
                        f"counts as hung (default {DEFAULT_CALL_TIMEOUT:g})")
    parser.add_argument("--import-timeout", type=seconds, default=DEFAULT_IMPORT_TIMEOUT,
                        metavar="S", help="seconds importing a target may take "
                        f"(default {DEFAULT_IMPORT_TIMEOUT:g})")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--in-process", action="store_true",
                      help="import and run the targets in this process, for debugging (by "
                      "default each runs in its own supervised process, which survives "
                      "crashes, exits and hangs of any kind)")
    if isolate_alias:
        mode.add_argument("--isolate", action="store_true", help=argparse.SUPPRESS)


def _check_writable_folder(folder, what: str) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass  # a real write: os.access says yes to root on a read-only file system
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {folder} ({exc.strerror or exc}).") from None


def output_file(path, option: str) -> None:
    """UsageError unless a file can be written (or rewritten) at ``path`` (None: no output)."""
    if path is None:
        return
    what = f"{option} {path}"
    p = pathlib.Path(path).absolute()
    if p.is_dir():
        raise UsageError(f"{what}: that is a folder; give a file path "
                         f"(e.g. {option} {pathlib.Path(path) / ('out' + (p.suffix or '.json'))}).")
    if p.exists() and not p.is_file():
        raise UsageError(f"{what}: exists and is not a regular file; name another path.")
    if not p.parent.is_dir():
        raise UsageError(f"{what}: the folder {p.parent} does not exist; create it first.")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"{what}: cannot write there (permission denied).")
    _check_writable_folder(p.parent, what)


def output_folder(path, option: str, *, names=(), must_exist: bool = False) -> None:
    """UsageError unless ``path`` is (or, unless ``must_exist``, can be created as) a writable
    folder where the files ``names`` can be written."""
    if path is None:
        return
    what = f"{option} {path}"
    p = pathlib.Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{what}: that is a file; give a folder.")
    if not p.exists() and must_exist:
        raise UsageError(f"{what}: no such folder; create it first.")
    existing = p
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{what}: {existing} is not a folder.")
    _check_writable_folder(existing, what)
    for name in names:
        if (p / name).exists():
            output_file(str(p / name), option)
