"""How a command ends: exit codes, one-line errors, and the closing lines of a run that had failures.

Exit codes (the same for ``run`` and ``batch``):

====  ===============================================================
0     every dialogue finished (``ok`` or ``degraded``, both counted)
1     an error stopped the command (endpoint unusable, I/O error)
2     bad input: an option, a scenario or sweep file, a run directory
3     some dialogues failed (the endpoint gave up on them)
4     every dialogue failed
130   interrupted (Ctrl-C or SIGTERM); finished dialogues are kept
====  ===============================================================
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.markup import escape

from simsocial.contract import DIALOGUES_FILE, STATUS_FAILED
from simsocial.terminal_text import terminal_safe

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_ALL_FAILED = 4
EXIT_INTERRUPTED = 130

_ENDPOINT_ERROR = re.compile(r"endpoint (\S+?)/? failed after (\d+) attempt\(s\): ([^(]+?)(?: \(|$)")


def fail(console: Console, message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``error: message`` (escaped, so brackets in paths survive) and exit with ``code``."""
    from simsocial.llm.errors import redact  # here: importing the LLM layer costs `--help` its start-up

    console.print(f"[red]error:[/] {escape(terminal_safe(redact(message)))}", soft_wrap=True)
    raise typer.Exit(code)


@dataclass(frozen=True)
class FailureReport:
    """Failed dialogues of one or more run directories, and why they failed."""

    total: int
    failed: int
    causes: Counter[str]

    @property
    def exit_code(self) -> int:
        if self.failed == 0:
            return 0
        return EXIT_ALL_FAILED if self.failed == self.total else EXIT_SOME_FAILED

    def lines(self) -> list[str]:
        """Closing lines: how many failed, then each cause with its count (most common first)."""
        if not self.failed:
            return []
        head = "all" if self.failed == self.total else "some"
        out = [f"{self.failed} of {self.total} dialogue(s) failed ({head}): the endpoint gave up on them."]
        # A cause may quote the endpoint's own error text: no escape sequence of its reaches the terminal.
        out += [f"  {n} × {terminal_safe(cause)}" for cause, n in self.causes.most_common(5)]
        return out


def failure_report(run_dirs: Iterable[Path]) -> FailureReport:
    """Read the status and error of every dialogue in ``run_dirs`` (missing files count as nothing)."""
    total, failed, causes = 0, 0, Counter[str]()
    for run_dir in run_dirs:
        path = Path(run_dir) / DIALOGUES_FILE
        if not path.is_file():
            continue
        names = set(pq.ParquetFile(path).schema_arrow.names)
        table = pq.read_table(path, columns=[c for c in ("status", "error") if c in names]).to_pylist()
        total += len(table)
        for row in table:
            if row["status"] == STATUS_FAILED:
                failed += 1
                causes[plain_failure(row.get("error") or "unknown cause")] += 1
    return FailureReport(total, failed, causes)


def plain_failure(error: str) -> str:
    """``endpoint U failed after N attempt(s): cause (detail)`` → ``cause at U after N attempts``."""
    match = _ENDPOINT_ERROR.search(error)
    if not match:
        return error.splitlines()[0][:200] if error else "unknown cause"
    endpoint, attempts, cause = match.groups()
    return f"{cause.strip()} at {endpoint} after {attempts} attempt{'s' if attempts != '1' else ''}"
