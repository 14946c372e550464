"""``python -m conformance replay DIR --target T``: replay vector files against targets.

``DIR`` holds ``tensor-quant-vectors/1`` files, e.g. written by ``run
--export-failures``. Each target runs in its own supervised process, as in
``run``. Exit 0 when every case that applies replays exactly, 1 on any
mismatch, crash or hang, or when no case applied to a target (nothing was
replayed), 2 for usage errors (before any work).
"""

from __future__ import annotations

import pathlib

from rich.console import Console
from rich.markup import escape

from ..devices import check_device
from ..errors import UsageError
from ..isolate import close_all, open_targets, stall_limit
from ._common import add_execution_options

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
    add_execution_options(parser)
    parser.set_defaults(func=run)


def _cases(directory: pathlib.Path):
    from vectors.io import VectorFormatError, load_all

    if not directory.is_dir():
        raise UsageError(f"no vector folder at {directory}: give a folder of *.json files "
                         "(e.g. one written by run --export-failures).")
    try:
        cases = load_all(directory)
    except (VectorFormatError, OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the vectors in {directory}: {exc}") from None
    if not cases:
        raise UsageError(f"{directory} holds no vector cases (*.json).")
    return cases


def run(args) -> int:
    directory = pathlib.Path(args.directory)
    cases = _cases(directory)
    check_device(args.device)
    handles = open_targets(args.target, in_process=args.in_process,
                           call_timeout=args.call_timeout, import_timeout=args.import_timeout)
    console = Console()
    params = {"directory": str(directory), "device": args.device, "strict": args.strict,
              "call_timeout": args.call_timeout}
    bad = 0
    try:
        for handle in handles:
            bad += _replay(console, handle, params, [c.id for c in cases], args.device)
    finally:
        close_all(handles)
    return 1 if bad else 0


def _replay(console, handle, params, ids, device) -> int:
    """Replay every case against one target; the number of failures (0: all match)."""
    name = handle.info.name
    counts = {"match": 0, "mismatch": 0, "skipped": 0, "not run": 0}

    def on_event(event):
        if "finished" not in event:
            return
        cid = event["finished"]
        if event.get("skipped"):
            counts["skipped"] += 1
        elif "lost" in event or "not_run" in event:
            key = "mismatch" if "lost" in event else "not run"
            counts[key] += 1
            what = "HUNG" if event.get("hung") else "CRASHED" if "lost" in event else "NOT RUN"
            console.print(f"[bold red]{what}[/] {escape(name)}: {escape(cid)}: "
                          f"{escape(event.get('lost') or event['not_run'])}")
        elif event.get("message"):
            counts["mismatch"] += 1
            console.print(f"[bold red]MISMATCH[/] {escape(name)}: {escape(cid)}: "
                          f"{escape(event['message'])}")
            console.print(event["snippet"], markup=False, highlight=False)
        else:
            counts["match"] += 1

    handle.run("replay", params, ids, on_event, noun="vector case",
               stall=stall_limit(params["call_timeout"]))
    failures = counts["mismatch"] + counts["not run"]
    replayed = counts["match"] + counts["mismatch"]
    parts = [f"{len(ids)} case(s)"] + [f"{n} {k}" for k, n in counts.items() if n and k != "match"]
    head = escape(f"{name} [{device}]: {', '.join(parts)}")
    if not replayed:
        console.print(head + " [bold red]nothing was replayed: no case applies to this target[/]")
        return 1
    console.print(head + (": [green]all match[/]" if not failures else
                          f": [bold red]{failures} failure(s)[/]"))
    return failures
