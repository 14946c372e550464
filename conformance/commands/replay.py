"""``python -m conformance replay DIR --target T``: replay vector files against targets.

``DIR`` holds ``tensor-quant-vectors/1`` files, e.g. written by ``run
--export-failures``. Exit 0 when every case replays exactly, 1 on any
mismatch, 2 for usage errors.
"""

from __future__ import annotations

import pathlib

from rich.console import Console
from rich.markup import escape

from ..calls import DEFAULT_CALL_TIMEOUT
from ..devices import check_device
from ..errors import UsageError
from ..targets import load_target, semantics_for

__all__ = ["register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "replay", help="replay golden-vector files against targets",
        description="Replay vector files (for example exported failures) against targets.")
    parser.add_argument("directory", metavar="DIR", help="folder of *.json vector files")
    parser.add_argument("--target", action="append", required=True, metavar="T",
                        help="MODULE, MODULE:ATTR or a registered name (repeatable)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--strict", action="store_true", help="ignore declared variations")
    parser.add_argument("--call-timeout", type=float, default=DEFAULT_CALL_TIMEOUT)
    parser.set_defaults(func=run)


def run(args) -> int:
    from hypothesis import settings

    from ..properties import Caller, Context
    from ..properties.golden import load_cases, snippet
    from ..properties.golden import replay as replay_case

    directory = pathlib.Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"no vector folder at {directory}: give a folder of *.json files "
                         "(e.g. one written by run --export-failures).")
    try:
        cases = load_cases(directory)
    except ValueError as exc:
        raise UsageError(f"cannot read vectors in {directory}: {exc}") from None
    if not cases:
        raise UsageError(f"{directory} holds no vector cases (*.json).")
    check_device(args.device)
    targets = [load_target(spec) for spec in args.target]
    console = Console()
    failed = 0
    for target in targets:
        semantics = semantics_for(target, strict=args.strict)
        ctx = Context(target, args.device, semantics, Caller(args.call_timeout), settings(),
                      property="replay")
        bad = 0
        for vcase in cases:
            message = replay_case(ctx, vcase)
            if message is not None:
                bad += 1
                console.print(f"[bold red]MISMATCH[/] {escape(target.name)}: {vcase.id}: {escape(message)}")
                console.print(snippet(ctx, vcase, message), markup=False, highlight=False)
        verdict = "[green]all match[/]" if not bad else f"[bold red]{bad} mismatch(es)[/]"
        console.print(escape(f"{target.name} [{args.device}]: {len(cases)} case(s), ") + verdict)
        failed += bad
    return 1 if failed else 0
