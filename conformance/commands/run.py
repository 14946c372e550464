"""``python -m conformance run``: check targets against the reference, print a verdict.

Exit 0 when every target conforms, 1 when any does not, 2 for usage errors
(an unknown profile or property, a target that cannot be imported, a device
that is not there).
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..devices import check_device
from ..errors import UsageError
from ..profiles import PROFILES
from ..runner import DEFAULT_CALL_TIMEOUT, run_target, select_properties
from ..targets import load_target

__all__ = ["register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="check targets against the reference",
        description="Run the conformance properties against one or more targets.")
    parser.add_argument("--target", action="append", required=True, metavar="T",
                        help="MODULE, MODULE:ATTR or a registered name (repeatable)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--profile", default="ci", help=f"one of {', '.join(PROFILES)}")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed")
    parser.add_argument("--strict", action="store_true",
                        help="ignore declared variations and expectations: the article only")
    parser.add_argument("--isolate", action="store_true",
                        help="run each target in its own process (survives crashes)")
    parser.add_argument("--property", action="append", dest="properties", metavar="NAME",
                        help="run only this property (repeatable)")
    parser.add_argument("--call-timeout", type=float, default=DEFAULT_CALL_TIMEOUT,
                        help=f"seconds one call may take (default {DEFAULT_CALL_TIMEOUT:g})")
    parser.add_argument("--report", metavar="PATH.json", help="write a JSON report")
    parser.add_argument("--junit", metavar="PATH.xml", help="write a JUnit XML report")
    parser.add_argument("--export-failures", metavar="DIR",
                        help="write failing examples as golden-vector files")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; choose one of {', '.join(PROFILES)}.")
    names = select_properties(args.properties)
    check_device(args.device)
    targets = [load_target(spec) for spec in args.target]  # all import before any runs
    console = Console(stderr=True)
    reports = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[now]}"),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        for target in targets:
            task = progress.add_task(f"{target.name} [{args.device}]", total=len(names), now="")
            def on_result(result, task=task, target=target):
                progress.advance(task)
                if not console.is_terminal:  # CI logs: one line per property
                    print(f"{target.name} [{args.device}] {result.property}: {result.status} "
                          f"({result.duration:.1f} s)", file=sys.stderr, flush=True)

            hooks = dict(on_start=lambda n, task=task: progress.update(task, now=n),
                         on_result=on_result)
            common = dict(device=args.device, profile=args.profile, seed=args.seed,
                          properties=names, strict=args.strict, call_timeout=args.call_timeout)
            if args.isolate:
                from ..isolate import run_target_isolated

                report = run_target_isolated(target.spec, name=target.name,
                                             variations=target.variations, **common, **hooks)
            else:
                report = run_target(target, **common, **hooks)
            reports.append(report)
            if not console.is_terminal:
                verdict = "conforms" if report.conforms else "does not conform"
                print(f"{target.name} [{args.device}]: {verdict}", file=sys.stderr)
    _write_outputs(args, reports)
    return 0 if all(r.conforms for r in reports) else 1


def _write_outputs(args, reports) -> None:
    from ..verdicts import print_summary, write_json, write_junit

    print_summary(reports, Console())
    if args.report:
        write_json(reports, args.report)
    if args.junit:
        write_junit(reports, args.junit)
    if args.export_failures:
        from ..repro import write_vectors

        paths = write_vectors(reports, args.export_failures)
        print(f"wrote {len(paths)} vector file(s) to {args.export_failures}"
              + (f": {', '.join(str(p) for p in paths)}" if paths else ""))
