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
runs the suite on the ``torch`` target. ``reference`` mutates the NumPy oracle
(``reference/quantize.py`` and ``functions.py``) through a wrapper target
(``benchmarks/mutation/reference_target.py``): the copy's ``reference/`` is copied
again to ``mutant_reference/``, mutmut mutates that copy, and the gate runs with
``TQ_WRAPPED_REFERENCE=mutant_reference``, so the oracle the suite compares against
stays pristine. ``--variations A,B`` declares named variations on the wrapper
(``TQ_WRAPPED_VARIATIONS``), so lines only a variation reaches are judged too (a
whole run with it keeps its own copy and page, named ``SUBJECT+VARIATIONS``);
``--rejudge ID,...`` judges mutants of a finished run again one by one (``mutmut
apply`` in that run's copy, the gate, the file put back), e.g. with ``--variations``:

    python benchmarks/mutation/run.py reference --rejudge 41,42 --variations round_half_away
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class Subject:
    """What one mutation run mutates, and how the gate judges it."""

    name: str
    paths: tuple[str, ...]  # the files mutmut mutates, relative to the copy
    target: str  # the gate's --target
    copies: tuple[tuple[str, str], ...] = ()  # (from, to) folders copied in the copy first
    env: tuple[tuple[str, str], ...] = ()  # the gate's environment
    variations_env: str | None = None  # where --variations goes; None: not supported

    def prepare(self, workdir: pathlib.Path) -> None:
        """The preparation step in a fresh copy of the tree (before any mutant)."""
        for source, dest in self.copies:
            if (workdir / dest).exists():
                shutil.rmtree(workdir / dest)
            shutil.copytree(workdir / source, workdir / dest,
                            ignore=shutil.ignore_patterns("__pycache__"))

    def restore(self, workdir: pathlib.Path) -> None:
        """Every mutated file as it was before mutmut touched it."""
        for path in self.paths:
            backup = workdir / (path + ".bak")  # mutmut's, from a run that was stopped
            if backup.exists():
                backup.replace(workdir / path)
        for source, dest in self.copies:  # a copy is restored from its pristine source
            for path in self.paths:
                if path.startswith(dest + "/") and (workdir / source).exists():
                    shutil.copyfile(workdir / source / path[len(dest) + 1:], workdir / path)

    def gate_env(self, variations: str | None) -> str:
        """``env NAME=value ...`` before the gate's command (mutmut 2 runs the runner
        through ``shlex.split``, not a shell, so a bare ``NAME=value`` is no command)."""
        env = dict(self.env)
        if variations:
            if self.variations_env is None:
                sys.exit(f"subject {self.name!r} cannot declare variations")
            env[self.variations_env] = variations
        return "".join(f"env {' '.join(f'{k}={v}' for k, v in env.items())} " if env else "")


SUBJECTS = {s.name: s for s in (
    Subject("torch", ("conformance/builtin/torch_tensor_quant.py",), "torch"),
    Subject("reference", ("mutant_reference/quantize.py", "mutant_reference/functions.py"),
            "benchmarks.mutation.reference_target",
            copies=(("reference", "mutant_reference"),),
            env=(("TQ_WRAPPED_REFERENCE", "mutant_reference"),),
            variations_env="TQ_WRAPPED_VARIATIONS"),
)}
_IGNORE = shutil.ignore_patterns(".git", "__pycache__", ".hypothesis", ".tox", "mutants",
                                 ".mutmut-cache", "*.egg-info", "results", "docs")


def _mutmut(workdir, *args, check=False) -> subprocess.CompletedProcess:
    exe = pathlib.Path(sys.executable).with_name("mutmut")
    return subprocess.run([str(exe), *args], cwd=workdir, capture_output=True, text=True,
                          check=check)


def _prepare(subject: Subject, workdir: pathlib.Path) -> None:
    """A copy of the tree, refreshed except for mutmut's cache (so a run resumes)."""
    cache = workdir / ".mutmut-cache"
    kept = cache.read_bytes() if cache.exists() else None
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(ROOT, workdir, ignore=_IGNORE)
    subject.prepare(workdir)
    if kept is not None:
        cache.write_bytes(kept)


def _runner(subject: Subject, args) -> str:
    """The gate's shell command, as mutmut runs it for each mutant."""
    return (f"{subject.gate_env(args.variations)}timeout -k 5 {args.per_mutant} nice -n 10 "
            f"{sys.executable} benchmarks/mutation/gate.py --target {subject.target} "
            f"--profile {args.profile} --device {args.device}")


def _baseline(subject: Subject, workdir, args) -> str:
    """The runner, once the gate has passed the unmutated tree; exits otherwise."""
    runner = _runner(subject, args)
    # mutmut reuses a cached baseline and reads any exit status but 1 as "survived": a
    # gate that cannot run at all (a bad option, a broken copy) would make every mutant a
    # survivor. So the gate must pass the unmutated tree first.
    baseline = subprocess.run(runner, shell=True, cwd=workdir, capture_output=True, text=True)
    if baseline.returncode != 0:
        sys.exit(f"the gate does not pass the unmutated tree (exit {baseline.returncode}), so "
                 f"no mutant could be judged:\n{baseline.stdout[-2000:]}{baseline.stderr[-2000:]}")
    return runner


def _run(subject: Subject, workdir, args) -> int:
    runner = _baseline(subject, workdir, args)
    command = [str(pathlib.Path(sys.executable).with_name("mutmut")), "run",
               "--paths-to-mutate", ",".join(subject.paths), "--runner", runner,
               "--tests-dir", "tests", "--simple-output", "--no-progress"]
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
        subject.restore(workdir)
        return -1


def _rejudge(subject: Subject, workdir, args, ids) -> dict[int, bool]:
    """Judge mutants of a finished run again, one at a time: ``{id: killed}``."""
    runner = _baseline(subject, workdir, args)
    print(f"re-judging {len(ids)} mutants in {workdir}:\n  runner: {runner}", flush=True)
    verdicts = {}
    for mutant in ids:
        try:
            _mutmut(workdir, "apply", str(mutant), check=True)
            gate = subprocess.run(runner, shell=True, cwd=workdir, capture_output=True,
                                  text=True)
        finally:
            subject.restore(workdir)
        verdicts[mutant] = gate.returncode == 1
        last = (gate.stdout.strip().splitlines() or [""])[-1]
        print(f"mutant {mutant}: {'killed' if verdicts[mutant] else 'survived'}"
              f" (exit {gate.returncode}) {last[:300]}", flush=True)
    return verdicts


def _report(subject: Subject, label, workdir, args, started, finished) -> pathlib.Path:
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
    lines = [f"# Mutation results: `{label}`", "",
             f"Generated by `python benchmarks/mutation/run.py {subject.name}"
             + (f" --variations {args.variations}" if args.variations else "") + "` "
             f"(mutmut 2.5, profile `{args.profile}`, device `{args.device}`, per-mutant cap "
             f"{args.per_mutant} s); "
             "do not edit by hand. The classification of each survivor is in "
             "[README.md](README.md).", "",
             f"- mutated: {', '.join(f'`{p}`' for p in subject.paths)}"
             + "".join(f" (a copy of `{src}/`)" for src, _ in subject.copies)
             + f"; judged on the target `{subject.target}`"
             + (f" with variations `{args.variations}`" if args.variations else ""),
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
    out = HERE / f"results-{label}.md"
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
    parser.add_argument("--variations", default=None,
                        help="comma-separated variation names the wrapped target declares "
                             "(subject reference only)")
    parser.add_argument("--rejudge", default=None, metavar="ID,...",
                        help="judge these mutants of a finished run again, one by one "
                             "(with --variations: was a variation-only line caught?)")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--keep-tree", action="store_true",
                        help="resume in the existing copy as it is (a refreshed copy whose "
                             "tests/ changed makes mutmut judge every mutant again)")
    args = parser.parse_args(argv)
    subject = SUBJECTS[args.subject]
    subject.gate_env(args.variations)  # refuses variations where the target reads none
    # A whole run with variations keeps its own copy, cache and page; a re-judging works in
    # the copy of the run it re-judges, whose cache names the mutants.
    label = args.subject + (f"+{args.variations}" if args.variations and not args.rejudge
                            else "")
    workdir = args.workdir or pathlib.Path(f"/tmp/tq-mutation-{label}")
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    subject.restore(workdir)  # after a run that was killed
    if args.rejudge:
        if not (workdir / ".mutmut-cache").exists():
            sys.exit(f"no finished run to re-judge in {workdir}")
        ids = [int(i) for i in args.rejudge.replace(" ", "").split(",") if i]
        _refresh_gate(workdir)
        verdicts = _rejudge(subject, workdir, args, ids)
        print(f"killed {sum(verdicts.values())} of {len(verdicts)}")
        return 0
    if not args.report_only:
        if not (args.keep_tree and workdir.exists()):
            _prepare(subject, workdir)
        else:
            _refresh_gate(workdir)
        _run(subject, workdir, args)
    finished = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    print(f"wrote {_report(subject, label, workdir, args, started, finished)}")
    return 0


def _refresh_gate(workdir) -> None:
    """The gate, the wrapper target and this script are not under test: keep them current."""
    shutil.copytree(HERE, workdir / "benchmarks" / "mutation", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "results-*.md"))


if __name__ == "__main__":
    sys.exit(main())
