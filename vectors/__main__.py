"""``python -m vectors [--check] [--out DIR]``: write or check the golden vector files.

Writing is deterministic (sorted keys, fixed indentation, cases sorted by id,
no timestamps), so regenerating leaves ``git status`` clean. ``--check``
exits 1 and names the stale files when the files on disk differ from what
the code would write.

Writing deletes nothing and overwrites only vector files (``*.json`` with
the ``tensor-quant-vectors/1`` format tag) named after the topics it writes;
it refuses (exit 2, writing nothing) when such a name is taken by another
file. A vector file of a topic the code no longer writes is named, not
removed (it may be someone's, e.g. exported failures): delete it by hand,
``--check`` fails while it is there.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from .cases import all_cases
from .io import DATA_DIR, FORMAT, VectorFormatError, owned_topic, render, stale_files, write_cases


def _check(out: pathlib.Path, files: dict[str, str], cases: int) -> int:
    problems = []
    for name, text in files.items():
        path = out / name
        if path.exists() and owned_topic(path) is None:
            problems.append(f"not a vector file, where the code writes its topic: {path}")
        elif not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            problems.append(f"stale: {path}")
    problems += [f"a vector file of a topic the code no longer writes: {p}"
                 for p in stale_files(out, files)]
    foreign = sorted(p for p in out.glob("*.json") if p.name not in files
                     and owned_topic(p) is None) if out.is_dir() else []
    problems += [f"not a vector file (load_all reads every *.json here; move it): {p}"
                 for p in foreign]
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print("run `python -m vectors` to regenerate.", file=sys.stderr)
        return 1
    print(f"{cases} cases in {len(files)} files are up to date.")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vectors", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DATA_DIR,
                        help="directory of the vector files (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the files differ from the code's output")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        print(f"error: --out {args.out} is not a folder.", file=sys.stderr)
        return 2
    cases = all_cases()
    if args.check:
        return _check(args.out, render(cases), len(cases))
    try:
        paths = write_cases(cases, args.out)
    except VectorFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(cases)} cases to {len(paths)} files in {args.out}")
    for path in stale_files(args.out, {p.name for p in paths}):
        print(f"left alone: {path}, a {FORMAT} file of a topic the code does not write; "
              "delete it if it is an old topic of these vectors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
