"""``python -m conformance fingerprint --target T``: which variations is this kernel?

Runs the target once on a boundary-heavy sample and searches the
combinations of named variations for the one that reproduces it bit for
bit. Prints the combination with the inputs that separate it from its
nearest alternatives, or says plainly that none fits and which comes
closest. Exit 0 when a combination fits, 1 when none does.
"""

from __future__ import annotations

import json

from ..errors import UsageError
from ..fingerprint import fingerprint, render
from ..targets import load_target
from ._paths import check_output_file

__all__ = ["register"]


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
    p.set_defaults(func=run)


def run(args) -> int:
    if args.json:
        check_output_file(args.json, "--json")  # before the work, not after it
    target = load_target(args.target)
    if args.device not in target.devices:
        raise UsageError(f"target {target.spec!r} runs on {', '.join(target.devices)}, "
                         f"not {args.device}.")
    fp = fingerprint(target, args.device, per_channel=args.per_channel)
    print(render(target, fp))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(fp.to_json(), f, indent=2)
    return 0 if fp.fits else 1
