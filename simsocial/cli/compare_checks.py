"""Guards around ``simsocial compare``: inputs checked up front, no half-written output, small-n warnings.

* :func:`check_compare_inputs` refuses a directory given twice and an ``--out`` that cannot be written,
  before anything is read or written.
* :func:`track_output` remembers which files ``--out`` held; :func:`undo_partial_output` (called by the
  CLI's top-level error handler) removes what an interrupted comparison wrote, so a failure leaves
  nothing half-written.
* :func:`check_binnable_cleaning` refuses a cleaning policy that leaves human donations outside the study's
  range (``none``: amounts typed in cents), which the histogram metrics cannot bin.
* the small-n warnings and table notes live in :mod:`simsocial.report.caveats` (the report shows them too).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import typer

from simsocial.cli.options import ensure_writable_dir
from simsocial.report.caveats import annotate_display, sample_size_warnings

__all__ = [
    "annotate_display",
    "check_binnable_cleaning",
    "check_compare_inputs",
    "sample_size_warnings",
    "track_output",
    "undo_partial_output",
]

_tracked: list[tuple[Path, set[Path], bool]] = []  # (out dir, files before, whether we created it)


def check_compare_inputs(run_dirs: Sequence[Path], out: Path) -> None:
    """Refuse duplicates among ``run_dirs`` and an unwritable ``out`` (``typer.BadParameter``)."""
    seen: dict[Path, Path] = {}
    for path in run_dirs:
        key = Path(path).resolve()
        if key in seen:
            also = "" if str(seen[key]) == str(path) else f" (also as {seen[key]})"
            raise typer.BadParameter(f"{path} is given twice{also}; compare each run once", param_hint="RUN_DIR")
        seen[key] = Path(path)
    if not out.exists():  # compare creates it: remove it again if the comparison fails
        _tracked.append((out, set(), True))
    ensure_writable_dir(out, keep=False)


def check_binnable_cleaning(policy: str) -> None:
    """Refuse (``typer.BadParameter`` on ``--cleaning``) a policy that keeps human donations outside the study's
    range [$0, $2]: the histogram metrics (L1, the $0.10 histogram) bin that range only, so they would stop
    half-way through with an error instead of a figure."""
    from simsocial.data.cleaning import DONATION_MAX, DONATION_MIN
    from simsocial.data.human import human_dialogues

    amounts = human_dialogues(policy)["donation"].dropna()
    outside = amounts[(amounts < DONATION_MIN) | (amounts > DONATION_MAX)]
    if len(outside):
        raise typer.BadParameter(
            f"'{policy}' keeps {len(outside)} human donation(s) outside [${DONATION_MIN:g}, ${DONATION_MAX:g}] "
            f"({outside.min():g} … {outside.max():g}: amounts typed in cents or real money), which the histogram "
            "metrics cannot bin; use 'cap' to count them as $2 or 'default' to drop them",
            param_hint="--cleaning",
        )


def track_output(out: Path) -> None:
    """Remember what ``out`` holds now, so files written after this can be removed on failure."""
    created = any(o == out and c for o, _, c in _tracked)
    before = {p for p in out.rglob("*")} if out.is_dir() else set()
    _tracked[:] = [t for t in _tracked if t[0] != out]
    _tracked.append((out, before, created))


def undo_partial_output() -> list[Path]:
    """Remove files written into tracked outputs since :func:`track_output`; returns what was removed."""
    removed: list[Path] = []
    for out, before, created in _tracked:
        if created:
            shutil.rmtree(out, ignore_errors=True)
            removed.append(out)
            continue
        for path in sorted(out.rglob("*"), reverse=True) if out.is_dir() else []:
            if path not in before:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
                removed.append(path)
    _tracked.clear()
    return removed
