"""``python -m conformance fingerprint --target T``: which variations is this kernel?

Runs the target once on a boundary-heavy sample and searches the
combinations of named variations for the one that reproduces it bit for
bit. Prints the combination with the inputs that separate it from its
nearest alternatives, or says plainly that none fits and which comes
closest. Exit 0 when a combination fits, 1 when none does or the target
crashed, hung or changed the oracle's process, 2 for usage errors.
"""

from __future__ import annotations

import json
import sys

from ..devices import check_device
from ..errors import UsageError
from ..isolate import close_all, open_targets
from ._common import add_execution_options, output_file

__all__ = ["register"]

#: CPU seconds a fingerprint may compute without calling the target (the search is long).
STALL = 1800.0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fingerprint", help="find the combination of variations a target implements",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("--target", required=True, help="MODULE, MODULE:ATTR or a registered name")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--no-per-channel", dest="per_channel", action="store_false",
                   help="leave out per-channel calls (for kernels whose per-channel path "
                        "computes differently)")
    p.add_argument("--json", metavar="PATH.json", help="also write the result as JSON")
    add_execution_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    check_device(args.device)
    output_file(args.json, "--json")
    (handle,) = open_targets([args.target], in_process=args.in_process,
                             call_timeout=args.call_timeout, import_timeout=args.import_timeout)
    outcome = {}
    try:
        if args.device not in handle.info.devices:
            raise UsageError(f"target {handle.info.spec!r} runs on "
                             f"{', '.join(handle.info.devices)}, not {args.device}.")
        handle.run("fingerprint", {"device": args.device, "per_channel": args.per_channel,
                                   "in_process": args.in_process},
                   ["fingerprint"], lambda event: outcome.update(event), noun="fingerprint",
                   stall=STALL)
    finally:
        close_all([handle])
    if "lost" in outcome or "not_run" in outcome:
        hung = "the target hung: " if outcome.get("hung") else ""
        print(f"error: no fingerprint of {handle.info.name}: {hung}"
              f"{outcome.get('lost') or outcome['not_run']}", file=sys.stderr)
        return 1
    print(outcome["text"])
    problems = list(handle.info.problems) + outcome["problems"]
    if not outcome["fingerprint"]["calls"]:
        problems.append("nothing was observed: the target supported none of the sample's calls, "
                        "so no combination can be said to fit")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(outcome["fingerprint"], f, indent=2)
        except OSError as exc:
            raise UsageError(f"cannot write --json {args.json}: {exc}") from None
    return 0 if outcome["fits"] and not problems else 1
