"""Mutation testing of a kernel with mutmut, each mutant judged by the suite itself.

    pip install -e ".[mutation]"          # mutmut 2.5 (its --runner takes any command)
    python benchmarks/mutation/run.py torch --minutes 45
    python benchmarks/mutation/run.py torch --report-only    # rewrite the results page

mutmut 2 mutates files in place, so the run works on a copy of the tree
(``--workdir``, default ``/tmp/tq-mutation-SUBJECT``; it keeps mutmut's cache,
so a run stopped by ``--minutes`` resumes where it stopped, as long as
``tests/`` is unchanged: mutmut keys its cache on a hash of the tests folder;
``--keep-tree`` resumes in the copy as it is). Do not run ``mutmut show`` in
the copy while a run is going: it re-reads the (mutated) file's lines into
the cache and the run then stops with "Attribute Mutant.line is required". The test command
is ``benchmarks/mutation/gate.py``: the conformance properties in registry
order under the ``quick`` profile, stopping at the first one that fails.
Each mutant's run is niced and capped at ``--per-mutant`` seconds (mutmut 2
reads any exit status other than 1 as "survived", so a mutant stopped by the
cap is listed as a survivor: pessimistic). Writes
``benchmarks/mutation/results-SUBJECT.md`` (score, and the diff of every surviving mutant) from mutmut's cache; the
classification of the survivors (equivalent, or a gap) lives in
``benchmarks/mutation/README.md``.

Subjects: ``torch`` mutates ``conformance/builtin/torch_tensor_quant.py`` and
runs the suite on the ``torch`` target.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
SUBJECTS = {
    "torch": {"paths": ["conformance/builtin/torch_tensor_quant.py"], "target": "torch"},
}
_IGNORE = shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", ".tox", "mutants",
                                 ".mutmut-cache", "*.egg-info", "results", "docs")


def _mutmut(workdir, *args, check=False) -> subprocess.CompletedProcess:
    exe = pathlib.Path(sys.executable).with_name("mutmut")
    return subprocess.run([str(exe), *args], cwd=workdir, capture_output=True, text=True,
                          check=check)


def _prepare(workdir: pathlib.Path) -> None:
    """A copy of the tree, refreshed except for mutmut's cache (so a run resumes)."""
    cache = workdir / ".mutmut-cache"
    kept = cache.read_bytes() if cache.exists() else None
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(ROOT, workdir, ignore=_IGNORE)
    if kept is not None:
        cache.write_bytes(kept)


def _run(subject, workdir, args) -> int:
    spec = SUBJECTS[subject]
    runner = (f"timeout -k 5 {args.per_mutant} nice -n 10 {sys.executable} "
              f"benchmarks/mutation/gate.py --target {spec['target']} --profile {args.profile} "
              f"--device {args.device}")
    command = [str(pathlib.Path(sys.executable).with_name("mutmut")), "run",
               "--paths-to-mutate", ",".join(spec["paths"]), "--runner", runner,
               "--tests-dir", "tests", "--simple-output", "--no-progress"]
    # mutmut reuses a cached baseline and reads any exit status but 1 as "survived": a
    # gate that cannot run at all (a bad option, a broken copy) would make every mutant a
    # survivor. So the gate must pass the unmutated tree first.
    baseline = subprocess.run(runner, shell=True, cwd=workdir, capture_output=True, text=True)
    if baseline.returncode != 0:
        sys.exit(f"the gate does not pass the unmutated tree (exit {baseline.returncode}), so "
                 f"no mutant could be judged:\n{baseline.stdout[-2000:]}{baseline.stderr[-2000:]}")
    print(f"{time.strftime('%H:%M:%S')} mutmut in {workdir}, at most {args.minutes} min:\n"
          f"  runner: {runner}", flush=True)
    # Its own session, so that the cap stops mutmut and the mutant's run it started.
    process = subprocess.Popen(command, cwd=workdir, start_new_session=True)
    try:
        return process.wait(timeout=args.minutes * 60)
    except subprocess.TimeoutExpired:
        print(f"stopped after {args.minutes} min: the score below is partial", flush=True)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        _restore(workdir, spec["paths"])
        return -1


def _restore(workdir, paths) -> None:
    """Put back the file mutmut was mutating when it was stopped (it keeps a ``.bak``)."""
    for path in paths:
        backup = workdir / (path + ".bak")
        if backup.exists():
            backup.replace(workdir / path)


def _report(subject, workdir, args, started, finished) -> pathlib.Path:
    counts, ids = {}, {}
    for status in ("killed", "survived", "timeout", "suspicious", "skipped", "untested"):
        out = _mutmut(workdir, "result-ids", status).stdout.split()
        ids[status] = [int(i) for i in out if i.isdigit()]
        counts[status] = len(ids[status])
    # mutmut 2: "suspicious" is killed but slower than the baseline allows (the machine's
    # load); "timeout" is mutmut's own cap (10x the baseline), not caught. The runner's
    # per-mutant cap (exit 124) and a crash (exit != 1) read as "survived": pessimistic.
    caught = counts["killed"] + counts["suspicious"]
    judged = caught + counts["survived"] + counts["timeout"]
    score = 100.0 * caught / judged if judged else 0.0
    lines = [f"# Mutation results: `{subject}`", "",
             f"Generated by `python benchmarks/mutation/run.py {subject}` "
             f"(mutmut 2.5, profile `{args.profile}`, device `{args.device}`, per-mutant cap "
             f"{args.per_mutant} s); "
             "do not edit by hand. The classification of each survivor is in "
             "[README.md](README.md).", "",
             f"- mutated: {', '.join(f'`{p}`' for p in SUBJECTS[subject]['paths'])}",
             (f"- report written {finished} (UTC), from the cache of earlier runs"
              if args.report_only else f"- last run: {started} to {finished} (UTC); verdicts of "
              "earlier runs come from mutmut's cache"),
             f"- mutants: {sum(counts.values())}; judged {judged}; killed {caught} "
             f"({counts['suspicious']} of them slowly), survived {counts['survived']}, "
             f"timed out {counts['timeout']}, not yet run {counts['untested']}",
             f"- **score: {caught}/{judged} = {score:.1f}%** of the judged mutants killed"
             + (f" (partial: {counts['untested']} mutants not run)" if counts["untested"]
                else ""), "",
             "## Surviving mutants", ""]
    for mutant in ids["survived"] + ids["timeout"]:
        diff = _mutmut(workdir, "show", str(mutant)).stdout.strip()
        lines += [f"### mutant {mutant}", "", "```diff", diff, "```", ""]
    if not ids["survived"] and not ids["timeout"]:
        lines.append("None.")
    out = HERE / f"results-{subject}.md"
    out.write_text("\n".join(lines).rstrip() + "\n")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("subject", choices=sorted(SUBJECTS))
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--device", default="cpu",
                        help="cuda judges the device-dependent lines (see README.md)")
    parser.add_argument("--minutes", type=float, default=45.0, help="cap on the whole run")
    parser.add_argument("--per-mutant", type=int, default=600, help="cap on one mutant (s)")
    parser.add_argument("--workdir", type=pathlib.Path, default=None)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--keep-tree", action="store_true",
                        help="resume in the existing copy as it is (a refreshed copy whose "
                             "tests/ changed makes mutmut judge every mutant again)")
    args = parser.parse_args(argv)
    workdir = args.workdir or pathlib.Path(f"/tmp/tq-mutation-{args.subject}")
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    _restore(workdir, SUBJECTS[args.subject]["paths"])  # after a run that was killed
    if not args.report_only:
        if not (args.keep_tree and workdir.exists()):
            _prepare(workdir)
        else:  # the gate and this script are not under test: keep them current
            shutil.copytree(HERE, workdir / "benchmarks" / "mutation", dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "results-*.md"))
        _run(args.subject, workdir, args)
    finished = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    print(f"wrote {_report(args.subject, workdir, args, started, finished)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
