"""The report as Markdown: the matrix, each target's variations, deviations and plot.

Also the variations page (``docs/variations.md``), generated from the
registry in ``reference.variations`` so the documentation lives in one place.
"""

from __future__ import annotations

import numpy as np

from reference import ARTICLE
from reference.variations import VARIATIONS

__all__ = ["report_page", "variations_page"]

#: The matrix's tables, one per family of properties, in the order a reader asks: does it
#: compute the values, the gradients, keep the contract, and what of SPEC section 6 it has.
#: A property the registry gains later lands in "Other" until it is placed here.
FAMILIES = {
    "Symmetric values (`fake_tensor_quant`, `tensor_quant`, `legacy_fake_tensor_quant`)": (
        "fake_per_tensor", "fake_per_channel", "quant_per_tensor", "quant_per_channel",
        "errors", "degenerate_shapes", "golden_vectors", "legacy_fake"),
    "Gradients": ("ste_gradient", "amax_no_gradient", "strided_gradient", "autograd_state"),
    "Contract (memory, layouts, devices, process)": (
        "inputs_unmodified", "strided_inputs", "output_device", "deterministic",
        "argument_forms", "result_lifetime", "process_state"),
    "Affine (`fake_affine_tensor_quant`)": ("affine_values", "affine_gradient"),
    "FP8 (`scaled_e4m3`)": ("e4m3_values", "e4m3_gradient"),
    "Descriptor (`QuantDescriptor`)": ("descriptor_rules", "descriptor_storage",
                                       "descriptor_serialization"),
}

#: What each cell says, from the declared run's status (and the strict run's, for a pass).
LEGEND = (
    ("pass", "conforms to the article itself (strict run passes)"),
    ("pass (var.)", "conforms only under the target's declared variations (listed below)"),
    ("xfail", "a known deviation, with its reason, evidence and minimal counterexample in "
              "the target's section"),
    ("**FAIL**", "an unexpected deviation or misbehaviour"),
    ("**ERROR**", "nothing could be checked, or the check could not run"),
    ("**XPASS**", "declared as a deviation but passed: the expectations file is stale"),
    ("skip", "the target has the function but the property could not run here (the device, "
             "or every call it needs is unsupported)"),
    ("n/a", "the target does not have the function the property checks"),
)

MARK = {"pass": "pass", "fail": "**FAIL**", "skip": "skip", "error": "**ERROR**",
        "xfail": "xfail", "xpass": "**XPASS**"}


def _names(names) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def families(properties) -> dict[str, list[str]]:
    """``FAMILIES`` restricted to ``properties`` (in that order), the rest under "Other"."""
    known = {p for members in FAMILIES.values() for p in members}
    groups = {title: [p for p in members if p in properties]
              for title, members in FAMILIES.items()}
    groups["Other"] = [p for p in properties if p not in known]
    return {title: members for title, members in groups.items() if members}


def cell(entry, prop: str) -> str:
    """One matrix cell: the declared verdict, told apart from "not applicable" and from a
    pass that needs the declared variations."""
    declared = {r["property"]: r for r in entry["declared"]["results"]}.get(prop)
    if declared is None:
        return ""
    if declared["status"] == "skip" and _not_applicable(entry, prop, declared):
        return "n/a"
    if declared["status"] == "pass":
        strict = {r["property"]: r["status"] for r in entry["strict"]["results"]}
        return "pass" if strict.get(prop) == "pass" else "pass (var.)"
    return MARK.get(declared["status"], declared["status"])


def _not_applicable(entry, prop: str, result) -> bool:
    from ..properties import PROPERTIES

    if "exposes" in entry and prop in PROPERTIES:
        return bool(PROPERTIES[prop].missing(entry["exposes"]))
    return result["reason"].startswith("target exposes no")  # an entry from an older report


def _ran(entries) -> list:
    return [e for e in entries if "declared" in e]


def _matrix(entries) -> list[str]:
    ran = _ran(entries)
    if not ran:
        return ["No target ran."]
    props = list(dict.fromkeys(r["property"] for e in ran for r in e["declared"]["results"]))
    lines = ["| cell | meaning |", "|---|---|", *(f"| {m} | {w} |" for m, w in LEGEND), ""]
    for title, members in families(props).items():
        lines += [f"### {title}", "",
                  "| target | " + " | ".join(members) + " |",
                  "|---|" + "---|" * len(members)]
        lines += [f"| `{e['spec']}` | " + " | ".join(cell(e, p) for p in members) + " |"
                  for e in ran]
        lines.append("")
    return lines


def _summary(entries) -> list[str]:
    ran = _ran(entries)
    if not ran:
        return []
    lines = ["| target | implementation | declared variations | fingerprint | strict | "
             "declared + expectations | time |", "|---|---|---|---|---|---|---|"]
    for e in ran:
        fp = e["fingerprint"]
        found = ("not fingerprinted" if fp.get("failed") else
                 ("fits: " if fp["fits"] else "closest (no fit): ") + _names(fp["variations"]))
        seconds = f"{e['seconds']:.0f} s" if "seconds" in e else ""
        lines.append(f"| `{e['spec']}` | {_cell(e['name'])} | {_names(e['variations'])} | "
                     f"{found} | {'conforms' if e['strict']['conforms'] else 'fails'} | "
                     f"{'conforms' if e['declared']['conforms'] else '**does not conform**'} | "
                     f"{seconds} |")
    return lines


def _not_run(entries) -> list[str]:
    skipped = [e for e in entries if e.get("skipped")]
    if not skipped:
        return []
    return ["## Not run", "",
            *(f"- `{e['spec']}`: {_cell(e['skipped'])}" for e in skipped), ""]


def _target_section(e) -> list[str]:
    lines = [f"### `{e['spec']}`: {e['name']}", ""]
    if e.get("skipped"):
        return lines + [f"Not run: {e['skipped']}", ""]
    fp = e["fingerprint"]
    lines.append(f"- Declared variations: {_names(e['variations'])}")
    verdict = (f"**no fingerprint**: {fp['failed']}" if fp.get("failed") else
               "fits bit for bit" if fp["fits"] else
               f"no combination fits; closest differs on {fp['mismatches']:,} of "
               f"{fp['elements']:,} sample elements")
    lines.append(f"- Fingerprinted variations: {_names(fp['variations'])} ({verdict})")
    per_tensor = e.get("fingerprint_per_tensor")
    if per_tensor:
        lines.append(f"  - per-tensor calls alone: {_names(per_tensor['variations'])} ("
                     + ("fits bit for bit" if per_tensor["fits"] else
                        f"no fit, {per_tensor['mismatches']:,} elements differ") + ")")
    for field, values in fp["undetermined"].items():
        lines.append(f"  - not observable on this target: `{field}` (any of {', '.join(values)})")
    for note in fp["notes"]:
        lines.append(f"  - {note}")
    strict, declared = e["strict"], e["declared"]
    lines.append(f"- Strict (article only): {'conforms' if strict['conforms'] else 'does not conform'}"
                 f"; with its declared variations and expectations: "
                 f"{'conforms' if declared['conforms'] else 'does not conform'}")
    lines.append("")
    if fp["first_mismatches"]:
        lines += ["Where the closest combination still differs (fingerprint sample):", ""]
        lines += [f"- `{m}`" for m in fp["first_mismatches"]]
        lines.append("")
    deviations = [r for r in declared["results"] if r["status"] in ("xfail", "fail", "xpass")]
    if deviations:
        lines += ["Known deviations (under the declared variations), each with its minimal "
                  "counterexample:", ""]
        for r in deviations:
            why = e["expectations"].get(r["property"], {})
            lines.append(f"- **{r['property']}** ({r['status']}): "
                         f"{why.get('reason', r['reason'])}")
            if why.get("evidence"):
                lines.append(f"  - evidence: {why['evidence']}")
            ce = r.get("counterexample")
            if ce:
                lines += ["", "  ```python", *["  " + line for line in
                                                ce["reproduction"].splitlines()], "  ```", ""]
        lines.append("")
    if e.get("plot"):
        lines += [f"How far `{e['spec']}` is from the article's semantics (strict), on the "
                  "fingerprint sample's fake_tensor_quant elements: a difference that keeps the "
                  "integer code is counted in ulps of the dtype, one that changes it in codes. "
                  "The sample is built at the boundaries (ties and their one-ulp neighbours, "
                  "thresholds, non-finite values), so these shares are far above what random "
                  "inputs show.",
                  "", f"![How far {e['spec']} is from the article, per dtype]({e['plot']})", ""]
        lines += _distance_table(e["distance"])
    return lines


def _distance_table(table) -> list[str]:
    if not table:
        return []
    buckets = list(next(iter(table.values())))
    lines = ["| dtype | " + " | ".join(buckets) + " |",
             "|---|" + "---|" * len(buckets)]
    for dtype, row in table.items():
        lines.append(f"| {dtype} | " + " | ".join(f"{row[b]:,}" for b in buckets) + " |")
    return lines + [""]


def _finding(e) -> str:
    """One sentence per target: what it is, in variations, and how it fails."""
    if e.get("skipped"):
        return f"- `{e['spec']}`: not run ({e['skipped']})."
    fp = e["fingerprint"]
    if fp.get("failed"):
        what = f"**not fingerprinted**: {fp['failed']}"
    elif fp["fits"]:
        what = (f"reproduced bit for bit by {_names(fp['variations'])}" if fp["variations"]
                else "reproduced bit for bit by the article's semantics")
    else:
        what = (f"closest to {_names(fp['variations'])}, but no combination fits "
                f"({fp['mismatches']:,} of {fp['elements']:,} sample elements differ)")
    per_tensor = e.get("fingerprint_per_tensor")
    if per_tensor:
        what += ("; its per-tensor calls alone are reproduced bit for bit by "
                 f"{_names(per_tensor['variations'])}" if per_tensor["fits"] else
                 "; its per-tensor calls alone fit no combination either")
    agree = ("as it declares" if set(fp["variations"]) == set(e["variations"])
             else f"it declares {_names(e['variations'])}")
    known = [r["property"] for r in e["declared"]["results"] if r["status"] == "xfail"]
    failing = [r["property"] for r in e["declared"]["results"]
               if r["status"] in ("fail", "error", "xpass")]
    tail = f"; known deviations in {_names(known)}" if known else "; no known deviations"
    if failing:
        tail += f"; **unexpected results in {_names(failing)}**"
    strict = "conforms" if e["strict"]["conforms"] else "fails"
    return f"- `{e['spec']}` ({e['name']}): {what}, {agree}{tail}. Strict: {strict}."


def report_page(data: dict) -> str:
    entries = data["targets"]
    ran = _ran(entries)
    seconds = data.get("seconds")
    took = ("" if seconds is None else f" in {seconds} s" if seconds < 120 else
            f" in {seconds / 60:.0f} min")
    lines = [
        "# Conformance report",
        "",
        f"Generated by `{data['command']}` ({data['profile']} profile, {data['device']}; "
        f"{len(ran)} of {len(entries)} targets ran{took}). "
        "Each property is checked bit for bit against the NumPy reference: *strict* with the "
        "article's semantics alone, *declared* with the variations the target declares "
        "(see [variations.md](variations.md)) and its expectations file (known deviations "
        "become `xfail`). The fingerprint runs each target once on a boundary-heavy sample "
        "and searches the combination of variations that reproduces it.",
        "",
        "## Summary",
        "",
        *_summary(entries),
        "",
        "## Findings",
        "",
        *[_finding(e) for e in entries],
        "",
        "## Compatibility matrix",
        "",
        *_matrix(entries),
        *_not_run(entries),
        "## Targets",
        "",
    ]
    for e in ran:
        lines += _target_section(e)
    return "\n".join(lines).rstrip() + "\n"


def variations_page() -> str:
    """Every named variation: what it changes, who does it, and an input that shows it."""
    lines = [
        "# Named variations",
        "",
        "Generated from `reference/variations.py` (the one place a variation is defined) by "
        "`python -m conformance report`. A target declares the variations it implements in "
        "`CONFORMANCE_TARGET[\"variations\"]`; the suite then checks it against the reference "
        "with exactly those applied, and `--strict` ignores them. "
        "`python -m conformance fingerprint --target T` finds them.",
        "",
        "| variation | field = value | what changes | seen in |",
        "|---|---|---|---|",
    ]
    for v in VARIATIONS.values():
        lines.append(f"| `{v.name}` | `{v.field} = {v.value}` | {_cell(v.summary)} | "
                     f"{_cell(v.seen_in)} |")
    lines += ["", "## An input that shows each one", ""]
    for v in VARIATIONS.values():
        with np.errstate(all="ignore"):
            article = v.example.evaluate(ARTICLE)
            varied = v.example.evaluate(v.semantics)
        what = "codes" if v.example.function == "tensor_quant" else (
            "input gradient" if v.example.function == "ste_gradient" else "outputs")
        lines += [f"- `{v.name}`: `{v.example.call()}` gives {what} "
                  f"`{_values(article)}` under the article, `{_values(varied)}` with the variation."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a literal | would end the cell."""
    return text.replace("|", "\\|")


def _values(a) -> str:
    return "[" + ", ".join(repr(float(x)) for x in np.asarray(a).reshape(-1)) + "]"
