"""``python -m conformance report``: the conformance report of the known targets, for docs/.

Runs the suite on the built-in targets and every registered adapter (strict
and with declared variations), fingerprints each, measures how far each is
from the article per dtype, and writes ``report.md``, ``report.json``, one PNG
per deviating target and ``variations.md`` into ``--out``. Each target runs in
its own supervised process. A target whose package is missing is listed as not
run, with the install command. Exit 1 when a target crashed, hung or exited
(listed as not run, with what happened), 2 for usage errors.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
import time

from ..devices import check_device
from ..errors import UsageError
from ..isolate import ImportMisbehaved, close_all, open_targets
from ..profiles import PROFILES
from ..report.build import default_targets
from ..targets import TargetError
from ._common import add_execution_options, output_folder

__all__ = ["register"]

#: CPU seconds a report entry may compute without calling the target (the fingerprint
#: search is long).
STALL = 1800.0


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="write the Markdown + JSON conformance report",
                              description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("--target", action="append", metavar="T",
                   help="target(s) to include (default: the built-in targets and every "
                   f"registered adapter: {', '.join(default_targets())})")
    p.add_argument("--out", default="docs", help="output folder (default: docs)")
    p.add_argument("--profile", default="ci", help="Hypothesis profile (default: ci)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--jobs", type=int, default=1, metavar="J",
                   help="targets reported at the same time, each in its own supervised "
                   "process (default 1; the report's order and content do not depend on it)")
    add_execution_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..report.markdown import report_page, variations_page

    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; choose one of {', '.join(PROFILES)}.")
    check_device(args.device)
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give 1 or more targets to report at once.")
    if args.jobs > 1 and args.in_process:
        raise UsageError("--in-process reports one target after the other in this process; "
                         "drop --jobs or --in-process.")
    output_folder(args.out, "--out", names=("report.md", "report.json", "variations.md"),
                  must_exist=True)
    specs = args.target or default_targets()
    began = time.perf_counter()
    command = "python -m conformance report" + "".join(f" --target {t}" for t in args.target
                                                        or ())
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        reported = list(pool.map(lambda spec: _entry(spec, args), specs))
    entries = [entry for entry, _problem in reported]
    failed = [problem for _entry, problem in reported if problem]
    for problem in failed:
        print(f"error: {problem}", file=sys.stderr)
    data = {"command": command, "profile": args.profile, "device": args.device,
            "seconds": round(time.perf_counter() - began), "targets": entries}
    try:
        with open(os.path.join(args.out, "report.json"), "w") as f:
            json.dump(data, f, indent=1, default=str)
        with open(os.path.join(args.out, "report.md"), "w") as f:
            f.write(report_page(data))
        with open(os.path.join(args.out, "variations.md"), "w") as f:
            f.write(variations_page())
    except OSError as exc:
        raise UsageError(f"cannot write the report into {args.out}: {exc}") from None
    print(f"wrote {args.out}/report.md, report.json, variations.md "
          f"({len(entries)} targets in {data['seconds']} s)", file=sys.stderr)
    return 1 if failed else 0


def _entry(spec, args):
    """``(entry, problem)``: the target's part of the report, and what went wrong if it broke."""
    try:
        (handle,) = open_targets([spec], in_process=args.in_process,
                                 call_timeout=args.call_timeout,
                                 import_timeout=args.import_timeout)
    except ImportMisbehaved as exc:
        return {"spec": spec, "name": spec, "skipped": str(exc)}, str(exc)
    except TargetError as exc:  # e.g. the adapter's package is not installed
        return {"spec": spec, "name": spec, "skipped": str(exc)}, None
    outcome = {}
    print(f"report: {spec} ...", file=sys.stderr)
    try:
        handle.run("report", {"device": args.device, "profile": args.profile, "out": args.out,
                              "call_timeout": args.call_timeout},
                   ["report"], outcome.update, noun="report entry", stall=STALL)
    finally:
        close_all([handle])
    if "entry" not in outcome:
        what = ("the target hung: " if outcome.get("hung") else "") + str(
            outcome.get("lost") or outcome.get("not_run"))
        problem = f"target {spec!r} could not be reported: {what}"
        return {"spec": spec, "name": handle.info.name, "skipped": problem}, problem
    problems = list(handle.info.problems) + outcome["problems"]
    return outcome["entry"], (f"target {spec!r}: " + "; ".join(problems)) if problems else None
