"""The end-of-run invariant: every dialogue a run started is written, exactly once.

After a run (or a batch cell) has streamed its shards into the results files, the dialogue ids written
must be the ids that were on disk before this invocation plus the ids it admitted (the local scheduler:
those it started; the process and Ray drivers: the specs they *sent*, never what the workers report).
Anything else is a lost or doubled dialogue, which no code path may pass over in silence:
:class:`DialoguesLostError` names the ids, the run directory keeps its shards and says ``"status":
"incomplete"``, so running again (``--resume`` for a batch) plays exactly the missing ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_SHOWN = 10  # ids named in the message (all of them are in run.json)


@dataclass(frozen=True)
class WrittenCheck:
    """What the invariant found: ids admitted but not written, and ids written more than once."""

    missing: list[str]
    duplicated: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.duplicated

    def record(self) -> dict[str, list[str]]:
        """The ``lost`` block of ``run.json``."""
        return {"missing": self.missing, "duplicated": self.duplicated}


def check_written(on_disk: Iterable[str], admitted: Iterable[str], written: Iterable[str]) -> WrittenCheck:
    """Compare the ids written with ``on_disk`` (before this invocation) plus ``admitted`` (by it)."""
    counts = Counter(written)
    expected = set(on_disk) | set(admitted)
    return WrittenCheck(sorted(expected - counts.keys()), sorted(i for i, n in counts.items() if n > 1))


class DialoguesLostError(RuntimeError):
    """A run finished without writing every dialogue it started (or wrote one twice): never silent."""

    def __init__(self, out_dir: Path, check: WrittenCheck) -> None:
        self.out_dir = out_dir
        self.check = check
        parts = []
        if check.missing:
            parts.append(f"{len(check.missing)} dialogue(s) were played but not written: {_ids(check.missing)}")
        if check.duplicated:
            parts.append(f"{len(check.duplicated)} dialogue(s) were written twice: {_ids(check.duplicated)}")
        super().__init__(
            f"{'; '.join(parts)}. {out_dir} is marked incomplete (run.json \"lost\" lists them) and keeps its "
            "shards, so resuming the run plays the missing ones."
        )


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")
