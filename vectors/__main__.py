"""``python -m vectors [--check] [--out DIR]``: write or check the golden vector files.

Writing is deterministic (sorted keys, fixed indentation, cases sorted by id,
no timestamps), so regenerating leaves ``git status`` clean. ``--check``
exits 1 and names the stale files when the files on disk differ from what
the code would write.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from .cases import all_cases
from .io import DATA_DIR, render


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vectors", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DATA_DIR,
                        help="directory of the vector files (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the files differ from the code's output")
    args = parser.parse_args(argv)
    cases = all_cases()
    files = render(cases)
    existing = {p.name for p in args.out.glob("*.json")} if args.out.is_dir() else set()
    stale = sorted(name for name, text in files.items()
                   if not (args.out / name).is_file()
                   or (args.out / name).read_bytes() != text.encode("utf-8"))
    extra = sorted(existing - set(files))
    if args.check:
        if stale or extra:
            for name in stale:
                print(f"stale: {args.out / name}", file=sys.stderr)
            for name in extra:
                print(f"not written by the code: {args.out / name}", file=sys.stderr)
            print("run `python -m vectors` to regenerate.", file=sys.stderr)
            return 1
        print(f"{len(cases)} cases in {len(files)} files are up to date.")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in extra:
        (args.out / name).unlink()
    for name, text in files.items():
        (args.out / name).write_bytes(text.encode("utf-8"))
    print(f"wrote {len(cases)} cases to {len(files)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
