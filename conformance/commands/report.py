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

from ..errors import UsageError
from ..targets import TargetError, load_target

__all__ = ["DEFAULT_TARGETS", "register"]

DEFAULT_TARGETS = ("torch", "torch-native", "modelopt", "onnxruntime", "onnx-reference")


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="write the Markdown + JSON conformance report",
                              description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("--target", action="append", metavar="T",
                   help=f"target(s) to include (default: {', '.join(DEFAULT_TARGETS)})")
    p.add_argument("--out", default="docs", help="output folder (default: docs)")
    p.add_argument("--profile", default="ci", help="Hypothesis profile (default: ci)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=run)


def _entry(spec: str, args) -> dict:
    from ..deviation_plot import measure, plot
    from ..expectations import load_expectations
    from ..fingerprint import fingerprint, observe
    from ..runner import run_target

    try:
        target = load_target(spec)
    except TargetError as exc:
        return {"spec": spec, "name": spec, "skipped": str(exc)}
    print(f"report: {spec} ...", file=sys.stderr)
    declared = run_target(target, device=args.device, profile=args.profile)
    strict = run_target(target, device=args.device, profile=args.profile, strict=True)
    observed = observe(target, args.device)
    fp = fingerprint(target, args.device, observed=observed)
    if not fp.fits:  # does the per-tensor path alone fit? (kernels whose paths differ)
        per_tensor = [(p, o) for p, o in observed[0] if p.amax.size == 1]
        fp_per_tensor = fingerprint(target, args.device, observed=(per_tensor, observed[1]))
    else:
        fp_per_tensor = None
    expectations = (load_expectations(target.expectations, args.device)
                    if target.expectations else {})
    entry = {
        "spec": spec, "name": target.name, "variations": list(target.variations),
        "declared": declared.to_json(), "strict": strict.to_json(),
        "fingerprint": fp.to_json(),
        "fingerprint_per_tensor": fp_per_tensor and fp_per_tensor.to_json(),
        "expectations": {k: {"reason": v.reason, "evidence": v.evidence}
                         for k, v in expectations.items()},
    }
    table = measure(observed[0])
    entry["distance"] = table
    if any(sum(v for b, v in row.items() if b != "equal") for row in table.values()):
        name = f"report_{spec.replace('-', '_').replace('.', '_')}.png"
        plot(target.name, table, os.path.join(args.out, name))
        entry["plot"] = name
    return entry


def run(args) -> int:
    from ..report_markdown import report_page, variations_page

    if not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out}: no such folder; create it first.")
    specs = args.target or list(DEFAULT_TARGETS)
    command = "python -m conformance report" + "".join(f" --target {t}" for t in args.target
                                                        or ())
    data = {"command": command, "profile": args.profile, "device": args.device,
            "targets": [_entry(spec, args) for spec in specs]}
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(data, f, indent=1, default=str)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report_page(data))
    with open(os.path.join(args.out, "variations.md"), "w") as f:
        f.write(variations_page())
    print(f"wrote {args.out}/report.md, report.json, variations.md", file=sys.stderr)
    return 0
