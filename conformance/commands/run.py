"""``python -m conformance run``: check targets against the reference, print a verdict.

Exit 0 when every target conforms, 1 when any does not (a property failed,
nothing was checked, or the target misbehaved: crashed, hung, exited, changed
the oracle's process), 2 for usage errors (an unknown profile or property, a
bad option, an output that cannot be written, a target that cannot be
imported, a device that is not there), before any work.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..devices import check_device
from ..errors import UsageError
from ..isolate import close_all, default_jobs, open_targets, run_properties
from ..profiles import PROFILES
from ..runner import select_properties
from ._common import add_execution_options, output_file, output_folder

__all__ = ["register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="check targets against the reference",
        description="Run the conformance properties against one or more targets, each in "
                    "its own supervised process.")
    parser.add_argument("--target", action="append", required=True, metavar="T",
                        help="MODULE, MODULE:ATTR or a registered name (repeatable)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--profile", default="ci", help=f"one of {', '.join(PROFILES)}")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed")
    parser.add_argument("--strict", action="store_true",
                        help="ignore declared variations and expectations: the article only")
    parser.add_argument("--property", action="append", dest="properties", metavar="NAME",
                        help="run only this property (repeatable)")
    add_execution_options(parser, isolate_alias=True)
    parser.add_argument("--jobs", type=int, default=None, metavar="J",
                        help="processes per target, each running a share of the properties "
                        f"(default: one per CPU, at most 4; here {default_jobs()})")
    parser.add_argument("--report", metavar="PATH.json", help="write a JSON report")
    parser.add_argument("--junit", metavar="PATH.xml", help="write a JUnit XML report")
    parser.add_argument("--export-failures", metavar="DIR",
                        help="write failing examples as golden-vector files")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; choose one of {', '.join(PROFILES)}.")
    names = select_properties(args.properties)
    if args.jobs is None:
        args.jobs = 1 if args.in_process else default_jobs()
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give 1 or more processes per target.")
    if args.jobs > 1 and args.in_process:
        raise UsageError("--jobs runs a target in several processes, --in-process in this "
                         "one: drop --jobs or --in-process.")
    check_device(args.device)
    output_file(args.report, "--report")
    output_file(args.junit, "--junit")
    output_folder(args.export_failures, "--export-failures")
    # Every target loads (in its own process) before any runs: one that cannot be used
    # stops the run here, as a usage error.
    handles = open_targets(args.target, in_process=args.in_process,
                           call_timeout=args.call_timeout, import_timeout=args.import_timeout)
    try:
        reports = _run_all(args, handles, names)
    finally:
        close_all(handles)
    _write_outputs(args, reports)
    return 0 if all(r.conforms for r in reports) else 1


def _run_all(args, handles, names):
    console = Console(stderr=True)
    log = not console.is_terminal  # CI logs: one line per property
    reports = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[now]}"),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        for handle in handles:
            label = f"{handle.info.name} [{args.device}]"  # the name is printable already
            task = progress.add_task(escape(label), total=len(names), now="")

            def on_result(result, task=task, label=label):
                progress.advance(task)
                if log:
                    print(f"{label} {result.property}: {result.status} "
                          f"({result.duration:.1f} s)", file=sys.stderr, flush=True)

            report = run_properties(
                handle, device=args.device, profile=args.profile, seed=args.seed,
                properties=names, strict=args.strict, call_timeout=args.call_timeout,
                jobs=args.jobs,
                on_start=lambda n, task=task: progress.update(task, now=n), on_result=on_result)
            reports.append(report)
            if log:
                verdict = "conforms" if report.conforms else "does not conform"
                print(f"{label}: {verdict}", file=sys.stderr, flush=True)
    return reports


def _write_outputs(args, reports) -> None:
    from ..verdicts import print_summary, write_json, write_junit

    print_summary(reports, Console())
    try:
        if args.report:
            write_json(reports, args.report)
        if args.junit:
            write_junit(reports, args.junit)
        if args.export_failures:
            _export_failures(reports, args.export_failures)
    except OSError as exc:  # checked up front; the disk can still fill or a folder vanish
        raise UsageError(f"cannot write the run's output: {exc}") from None


def _export_failures(reports, folder) -> None:
    from vectors.io import VectorFormatError

    from ..repro import write_vectors

    try:
        paths = write_vectors(reports, folder)
    except VectorFormatError as exc:  # e.g. a file that is not ours in the way
        raise UsageError(f"--export-failures: {exc}") from None
    print(f"wrote {len(paths)} vector file(s) to {folder}"
          + (f": {', '.join(str(p) for p in paths)}" if paths else ""))
