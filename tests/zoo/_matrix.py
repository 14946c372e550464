"""The zoo's kill matrix: every member through every property, one verdict per cell.

    python -m tests.zoo --matrix docs/kill-matrix.md [--jobs 2] [--profile ci] [--resume]

Runs each zoo member (broken and ``correct_*``) against every property with
the engine (``tests.zoo.verdict``: ``run_target`` in process, as
``tests/test_zoo.py`` runs them) under a derandomized profile, so the page is
the same on every run of the same code; ``--seed`` draws other examples.
Writes a Markdown page: the member x property grid; for each broken member
the properties that catch it, whether its ``CAUGHT_BY`` is confirmed, and
those caught by exactly one property (one change to that property's
strategy could let them through); members no property catches; what each
property catches alone. Exits 1 when a broken member goes uncaught without
a ``KNOWN_MISS``, a correct member fails, a member's ``CAUGHT_BY`` is not
among what fails for it, or members are missing, so the command is a check as
well as a page. Each member's row is appended to ``--rows`` (JSON lines) as
it finishes; ``--resume`` reuses them, so a run cut short (Ctrl-C writes the
page for what ran, marked PARTIAL) continues where it stopped.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import pathlib
import platform
import sys
import time

from . import is_correct, known_miss, member, members, verdict

__all__ = ["Row", "main", "render", "run_member"]

#: One character per status in the grid.
MARKS = {"fail": "X", "pass": ".", "skip": "-", "error": "E", "xfail": "x", "xpass": "P"}


@dataclasses.dataclass(frozen=True)
class Row:
    """One member's verdicts: property -> status, and the seconds they took."""

    name: str
    statuses: dict
    seconds: float
    problems: tuple = ()

    @property
    def caught_by(self) -> list[str]:
        return [p for p, s in self.statuses.items() if s == "fail"]

    def to_json(self, key: dict) -> str:
        return json.dumps({**key, "name": self.name, "statuses": self.statuses,
                           "seconds": round(self.seconds, 2), "problems": list(self.problems)})


def _load_rows(path: pathlib.Path, key: dict) -> dict:
    """Rows recorded earlier under the same profile, seed and properties: name -> Row."""
    rows = {}
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        data = json.loads(line)
        if all(data.get(k) == v for k, v in key.items()):
            rows[data["name"]] = Row(data["name"], data["statuses"], data["seconds"],
                                     tuple(data["problems"]))
    return rows


def run_member(name: str, profile: str, seed: int | None) -> Row:
    """Every property's status for ``name`` (in a worker process with ``--jobs``)."""
    start = time.perf_counter()
    report = verdict(name, profile=profile, seed=seed)
    return Row(name, {r.property: r.status for r in report.results},
               time.perf_counter() - start, tuple(report.problems))


def _rows(names, profile, seed, jobs):
    if jobs <= 1:
        for name in names:
            yield run_member(name, profile, seed)
        return
    # spawn: a fresh interpreter per worker (no forked torch thread pools); each worker
    # runs several members in process, as the tests do (the guard undoes what one changes).
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context)
    try:
        futures = [pool.submit(run_member, name, profile, seed) for name in names]
        for future in concurrent.futures.as_completed(futures):
            yield future.result()
    finally:  # interrupted: drop what has not started (the page is written for what ran)
        pool.shutdown(wait=False, cancel_futures=True)


def _findings(rows, properties):
    """Problems that make the command fail, and the per-member facts the page lists."""
    problems, uncaught, single = [], [], []
    for row in rows:
        if is_correct(row.name):
            wrong = [p for p, s in row.statuses.items() if s not in ("pass", "skip")]
            if wrong or row.problems:
                problems.append(f"correct member `{row.name}` does not conform: "
                                f"{', '.join(wrong) or '; '.join(row.problems)}")
            continue
        caught = row.caught_by
        miss = known_miss(row.name)
        if not caught:
            uncaught.append((row.name, miss))
            if not miss:
                problems.append(f"`{row.name}` is caught by no property (and has no KNOWN_MISS)")
            continue
        if miss:
            problems.append(f"`{row.name}` is caught ({', '.join(caught)}) but still declares "
                            "KNOWN_MISS: remove it")
        declared = member(row.name).CAUGHT_BY
        if not declared.intersection(caught):
            problems.append(f"`{row.name}`: none of its CAUGHT_BY ({', '.join(sorted(declared))}) "
                            f"fails; caught by {', '.join(caught)}")
        if len(caught) == 1:
            single.append((row.name, caught[0]))
    errors = [f"`{row.name}` x `{p}`" for row in rows for p, s in row.statuses.items()
              if s == "error"]
    return problems, uncaught, single, errors


def render(rows, properties, *, profile, seed, jobs, elapsed,
           missing=()) -> tuple[str, list[str]]:
    """The Markdown page, and the problems that make the command fail."""
    rows = sorted(rows, key=lambda r: (is_correct(r.name), r.name))
    problems, uncaught, single, errors = _findings(rows, properties)
    if missing:
        problems.insert(0, f"PARTIAL: {len(missing)} member(s) not run yet: "
                        + ", ".join(f"`{n}`" for n in missing)
                        + " (rerun with --resume to finish)")
    broken = [r for r in rows if not is_correct(r.name)]
    number = {p: i + 1 for i, p in enumerate(properties)}
    out = [
        "# The zoo's kill matrix",
        "",
        "Generated by `python -m tests.zoo --matrix docs/kill-matrix.md` "
        f"(profile `{profile}`, {'seed ' + str(seed) if seed is not None else 'derandomized'}"
        f"); do not edit by hand. Every member of `tests/zoo/` (one bug each, or a "
        "`correct_*` kernel) runs through every property of the suite; a cell is that "
        "property's verdict on that member.",
        "",
        f"- members: {len(rows)} ({len(broken)} broken, {len(rows) - len(broken)} correct); "
        f"properties: {len(properties)}",
        f"- broken members caught: {len(broken) - len(uncaught)} of {len(broken)}; caught by "
        f"exactly one property: {len(single)}; caught by none: {len(uncaught)}",
        f"- last run: {elapsed / 60:.1f} min wall with {jobs} worker(s) on "
        f"{os.cpu_count()} cores ({platform.python_implementation()} "
        f"{platform.python_version()}); sum of per-member times "
        f"{sum(r.seconds for r in rows) / 60:.1f} min",
        "- cells: `X` fails (caught), `.` passes, `-` skipped (the member exposes no such "
        "function), `E` the check itself could not run",
        "",
    ]
    if problems:
        out += ["## Problems", "", *[f"- {p}" for p in problems], ""]
    out += ["## Caught by no property", ""]
    out += [f"- `{n}`: known miss: {why}" if why else f"- `{n}`: **not caught**"
            for n, why in uncaught] or ["None: every broken member fails at least one property."]
    out += ["", "## Caught by exactly one property", "",
            "One change to that property's strategy could let these through unnoticed.", "",
            "| member | the one property |", "|---|---|"]
    out += [f"| `{n}` | `{p}` |" for n, p in single]
    out += ["", "## What each property catches", "",
            "| # | property | members it catches | caught by it alone |", "|---|---|---|---|"]
    for p in properties:
        catches = [r.name for r in broken if r.statuses.get(p) == "fail"]
        alone = [n for n, q in single if q == p]
        out.append(f"| {number[p]} | `{p}` | {len(catches)} | "
                   f"{', '.join(f'`{n}`' for n in alone) or '-'} |")
    out += ["", "## The matrix", "",
            "Columns are the properties numbered as above.", "",
            "| member | " + " | ".join(str(number[p]) for p in properties) + " | caught by |",
            "|---|" + "---|" * len(properties) + "---|"]
    for row in rows:
        cells = [MARKS.get(row.statuses.get(p, "skip"), "?") for p in properties]
        what = ("(correct: must conform)" if is_correct(row.name)
                else ", ".join(row.caught_by) or "**none**")
        out.append(f"| `{row.name}` | " + " | ".join(cells) + f" | {what} |")
    if errors:
        out += ["", "## Checks that could not run", "", *[f"- {e}" for e in errors]]
    out += ["", "## Time per member", "", "| member | seconds |", "|---|---|"]
    out += [f"| `{r.name}` | {r.seconds:.1f} |"
            for r in sorted(rows, key=lambda r: -r.seconds)[:10]]
    return "\n".join(out) + "\n", problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.zoo",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--matrix", type=pathlib.Path, required=True,
                        help="write the kill matrix here (Markdown)")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--member", action="append", default=None,
                        help="only this member (repeatable; for a look, not for the page)")
    parser.add_argument("--rows", type=pathlib.Path, default=None,
                        help="JSON lines, one per member as it finishes (default: the "
                             "matrix path with .jsonl)")
    parser.add_argument("--resume", action="store_true",
                        help="reuse the rows of members already in --rows (same profile, "
                             "seed and properties) and run only the others")
    args = parser.parse_args(argv)
    from conformance.profiles import PROFILES
    from conformance.properties import PROPERTIES

    if args.profile not in PROFILES:
        parser.error(f"unknown profile {args.profile!r}; choose one of {', '.join(PROFILES)}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    names = args.member or members()
    unknown = sorted(set(names) - set(members()))
    if unknown:
        parser.error(f"unknown zoo member(s) {', '.join(unknown)}; see tests/zoo/")
    key = {"profile": args.profile, "seed": args.seed, "properties": list(PROPERTIES)}
    rows_path = args.rows or args.matrix.with_suffix(".jsonl")
    done = _load_rows(rows_path, key) if args.resume else {}
    rows = [done[n] for n in names if n in done]
    todo = [n for n in names if n not in done]
    args.matrix.parent.mkdir(parents=True, exist_ok=True)
    if not args.resume:
        rows_path.write_text("")
    start = time.perf_counter()
    try:
        for row in _rows(todo, args.profile, args.seed, args.jobs):
            rows.append(row)
            with rows_path.open("a") as out:  # as it finishes: an interrupted run resumes
                out.write(row.to_json(key) + "\n")
            print(f"[{len(rows)}/{len(names)}] {row.name}: {', '.join(row.caught_by) or '-'} "
                  f"({row.seconds:.1f} s)", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("interrupted: writing the page for the members run so far", file=sys.stderr)
    finished = {r.name for r in rows}
    text, problems = render(rows, list(PROPERTIES), profile=args.profile, seed=args.seed,
                            jobs=args.jobs, elapsed=time.perf_counter() - start,
                            missing=[n for n in names if n not in finished])
    args.matrix.write_text(text)
    print(f"wrote {args.matrix}" + "".join(f"\nproblem: {p}" for p in problems))
    return 1 if problems else 0
