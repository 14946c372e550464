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
from ..fingerprint import fingerprint
from ..targets import load_target

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


def _names(names) -> str:
    return " + ".join(names) if names else "none (the article's semantics)"


def render(target, fp) -> str:
    """The fingerprint as text a person reads top to bottom."""
    lines = [f"Fingerprint of {target.spec} ({target.name}): {fp.calls} calls, "
             f"{fp.elements:,} elements" + (f", {fp.unsupported} calls the target does not "
                                             "support" if fp.unsupported else "")]
    if fp.fits:
        lines.append(f"FITS: {_names(fp.variations)}")
    else:
        lines.append(f"NO COMBINATION OF VARIATIONS FITS. Closest: {_names(fp.variations)}, "
                     f"which differs on {fp.mismatches:,} of {fp.elements:,} elements.")
    declared = tuple(target.variations)
    if set(declared) == set(fp.variations):
        lines.append(f"Declared by the target: the same ({_names(declared)}).")
    else:
        lines.append(f"Declared by the target: {_names(declared)}; "
                     f"missing {_names(sorted(set(fp.variations) - set(declared)))}, "
                     f"extra {_names(sorted(set(declared) - set(fp.variations)))}.")
    for field, values in fp.undetermined.items():
        lines.append(f"Not determined by the sample: {field} (any of {', '.join(map(str, values))})")
    lines += [f"Note: {n}" for n in fp.notes]
    if fp.evidence:
        lines.append("Evidence (one input per nearest alternative; target vs alternative):")
        for e in fp.evidence:
            lines.append(f"  {e.field}={e.alternative}: {e.call}")
            lines.append(f"      target {e.target}; with {e.field}={e.alternative}: {e.other}")
    if fp.first_mismatches:
        lines.append("Where the closest combination differs from the target:")
        lines += [f"  {m}" for m in fp.first_mismatches]
    return "\n".join(lines)


def run(args) -> int:
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
