"""``python -m conformance report``: the conformance report of the known targets, for docs/.

Runs the suite on the built-in target and every installed adapter (strict
and with declared variations), fingerprints each, measures how far each is
from the article per dtype, and writes ``report.md``, ``report.json``, one PNG
per deviating target and ``variations.md`` into ``--out``. A target whose
package is missing is listed as not run, with the install command.
"""

from __future__ import annotations

import json
import os
import sys

from ..report.build import DEFAULT_TARGETS, target_entry
from ._paths import check_output_folder

__all__ = ["register"]

def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="write the Markdown + JSON conformance report",
                              description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("--target", action="append", metavar="T",
                   help=f"target(s) to include (default: {', '.join(DEFAULT_TARGETS)})")
    p.add_argument("--out", default="docs", help="output folder (default: docs)")
    p.add_argument("--profile", default="ci", help="Hypothesis profile (default: ci)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..report.markdown import report_page, variations_page

    check_output_folder(args.out, "--out", ("report.md", "report.json", "variations.md"))
    specs = args.target or list(DEFAULT_TARGETS)
    command = "python -m conformance report" + "".join(f" --target {t}" for t in args.target
                                                        or ())
    data = {"command": command, "profile": args.profile, "device": args.device,
            "targets": [target_entry(spec, device=args.device, profile=args.profile, out=args.out)
                        for spec in specs]}
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(data, f, indent=1, default=str)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report_page(data))
    with open(os.path.join(args.out, "variations.md"), "w") as f:
        f.write(variations_page())
    print(f"wrote {args.out}/report.md, report.json, variations.md", file=sys.stderr)
    return 0
