"""Options and checks the commands that run targets share.

Everything here runs before any work: a bad option, or an output that cannot
be written, is a usage error (exit 2) with the fix, not a traceback after the
whole run.
"""

from __future__ import annotations

import argparse
import os
import pathlib

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


def _writable(folder: pathlib.Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def output_file(path, option: str) -> None:
    """UsageError unless ``path`` can be written as a file."""
    if path is None:
        return
    p = pathlib.Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {path}: that is a folder; give a file path "
                         f"(e.g. {option} {p / ('out' + (p.suffix or '.json'))}).")
    folder = p.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist; create it first.")
    if not _writable(folder) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"{option} {path}: cannot write there (permission denied).")


def output_folder(path, option: str) -> None:
    """UsageError unless ``path`` is, or can be created as, a writable folder."""
    if path is None:
        return
    p = pathlib.Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {path}: that is a file; give a folder.")
    existing = p
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option} {path}: {existing} is not a folder.")
    if not _writable(existing):
        raise UsageError(f"{option} {path}: cannot write in {existing} (permission denied).")
