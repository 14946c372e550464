"""``python -m conformance``: the command line.

Each subcommand lives in its own module under ``conformance.commands`` and
exposes ``register(subparsers)``, which adds its parser and sets
``func(args) -> int`` as the handler. Exit codes: 0 conforms, 1 does not
(or was not checked, or misbehaved), 2 usage errors (bad arguments, an output
that cannot be written, a target that cannot be imported, a device that is
not there), each with a message that says what to fix, 130 when the user
interrupts (Ctrl-C; a KeyboardInterrupt raised by a target is its failure).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import commands
from .calls import watch_interrupts
from .errors import UsageError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description="Bit-exact conformance checks of fake-quantization kernels "
        "against pytorch-quantization's tensor_quant semantics.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{info.name}").register(subparsers)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    watch_interrupts()
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
