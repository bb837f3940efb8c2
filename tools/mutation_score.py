"""Print the kill rate from ``mutants/mutmut-cicd-stats.json`` (written by ``mutmut export-cicd-stats``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str = "mutants/mutmut-cicd-stats.json") -> int:
    stats = json.loads(Path(path).read_text())
    tested = stats["total"] - stats["skipped"] - stats["no_tests"]
    killed = stats["killed"] + stats["timeout"]
    rate = killed / tested if tested else float("nan")
    print(f"mutants: {stats['total']}, tested: {tested}, killed: {killed} ({rate:.1%}), "
          f"survived: {stats['survived']}, no tests: {stats['no_tests']}, "
          f"suspicious: {stats['suspicious']}")  # fmt: skip
    print("surviving mutants: .venv/bin/mutmut results; one of them: .venv/bin/mutmut show <name>")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
