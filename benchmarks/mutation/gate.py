"""The mutation runs' test command: the suite's verdict on one target, stopped early.

    python benchmarks/mutation/gate.py --target torch --profile quick

Runs every property (registry order) against the target in this process, as
``python -m conformance run --in-process`` does, and exits 1 at the first
property that does not conform (a mutant is killed the moment one property
catches it, so the rest need not run), 0 when the target conforms, and 1 too
when nothing was checked or the target's import misbehaved: a mutant that
makes the suite check nothing is not a surviving one. Each mutant is judged by
the suite's properties, never by the project's unit tests.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # the tree under test

from conformance.profiles import PROFILES  # noqa: E402
from conformance.runner import CONFORMING, run_target  # noqa: E402
from conformance.targets import load_target  # noqa: E402


class _Caught(Exception):
    """Raised from ``on_result`` to stop the run at its first non-conforming property."""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="torch")
    parser.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--property", action="append", default=None,
                        help="run only this property (repeatable)")
    parser.add_argument("--call-timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    try:
        target = load_target(args.target)
    except Exception as exc:  # a mutant that breaks the import is caught by it
        print(f"caught: importing the target raised {type(exc).__name__}: {exc}")
        return 1

    def on_result(result):
        if result.status not in CONFORMING:
            raise _Caught(f"{result.property}: {result.status}: {result.reason}"[:400])

    try:
        report = run_target(target, device=args.device, profile=args.profile,
                            properties=args.property,
                            call_timeout=args.call_timeout, on_result=on_result)
    except _Caught as caught:
        print(f"caught by {caught}")
        return 1
    if not report.conforms:
        print("caught: " + "; ".join(report.all_problems))
        return 1
    print(f"survived: {args.target} conforms under the {args.profile} profile")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # a hung call's thread must not keep a mutant's run alive
