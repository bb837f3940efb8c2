"""A run directory, owned by one object: :class:`RunDir`.

Every file of a run directory (the contract's files, ``fingerprint.json``, the shards and
``progress.json``) is named in :mod:`simsocial.contract` and written by this package alone:
:mod:`~simsocial.rundir.fingerprint` (the settings a resume must match), :mod:`~simsocial.rundir.writer`
(streamed shards, then the results files), :mod:`~simsocial.rundir.state` (what is done, tidying,
reopening), :mod:`~simsocial.rundir.manifest` (``run.json``'s fixed part) and
:mod:`~simsocial.rundir.summary` (the table a run ends with).  A run asks its :class:`RunDir`: is this
the same run (once), what is done, a writer to stream rows into, and at the end :meth:`RunDir.finish`
writes ``run.json`` once — with its status — after the end-of-run invariant (:mod:`simsocial.sim.invariant`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simsocial.rundir import state
from simsocial.rundir.fingerprint import check_run_dir
from simsocial.rundir.writer import RunTally, RunWriter
from simsocial.sim.invariant import DialoguesLostError, check_written

if TYPE_CHECKING:
    import pandas as pd

RUN_COMPLETE, RUN_INCOMPLETE = "complete", "incomplete"  # run.json "status"

__all__ = ["RUN_COMPLETE", "RUN_INCOMPLETE", "RunDir"]


class RunDir:
    """The run directory at ``path``: checked once against a fingerprint, then written through this object."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.resumed: bool | None = None  # None until checked
        self._earlier: list[dict[str, Any]] = []

    def check(self, fingerprint: dict[str, Any], n_dialogues: int) -> bool:
        """Refuse another run's directory (:class:`~simsocial.rundir.fingerprint.RunMismatchError`, nothing
        touched), record the fingerprint in a new one; True when this resumes or extends a run.

        Checked once: a second call (the CLI checked before it printed its header) returns the first answer.
        """
        if self.resumed is None:
            self.resumed = check_run_dir(self.path, fingerprint, n_dialogues)
        return self.resumed

    def dialogues_on_disk(self) -> int:
        """Finished dialogues: in the shards while running, in ``dialogues.parquet`` when done."""
        return state.dialogues_on_disk(self.path)

    def failed_on_disk(self) -> int:
        """Dialogues on disk whose status is ``failed``."""
        return state.failed_on_disk(self.path)

    def completed(self, expected: int, retry_failed: bool = False) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        """``(summary, manifest)`` when the run already holds all ``expected`` dialogues (nothing to play)."""
        done = state.completed_result(self.path, expected)
        if done is None or (retry_failed and self.failed_on_disk()):
            return None
        return done

    def open_writer(self, shard_size: int, retry_failed: bool) -> tuple[RunWriter, int]:
        """A writer that streams rows into shards, and how many failed dialogues it discarded to play again.

        A completed run is reopened (so more dialogues extend it); the invocations its ``run.json`` lists are
        kept for the manifest :meth:`finish` writes.
        """
        self._earlier = state.earlier_invocations(self.path)
        state.reopen_completed(self.path)
        writer = RunWriter(self.path, shard_size=shard_size)
        retried = writer.discard(writer.failed_ids()) if retry_failed else 0  # played again, same seeds
        return writer, retried

    def invocations(self, this: dict[str, Any]) -> dict[str, Any]:
        """The manifest's ``usage`` (every invocation's total) and ``invocations`` (this one last)."""
        return state.with_invocation(self._earlier, this)

    def finish(self, writer: RunWriter, manifest: Any, *, on_disk: Iterable[str], admitted: Iterable[str],
               wanted: int, budget: dict[str, Any] | None = None) -> tuple[RunTally, dict[str, Any]]:  # fmt: skip
        """Stream the shards into the results files, check the invariant, write ``run.json`` once; returns
        what was streamed and the manifest written.

        ``manifest(tally)`` builds the manifest from what was streamed.  Its ``status`` is ``incomplete``
        when fewer than ``wanted`` dialogues are written (then ``budget``, if given, says whether a budget
        stopped it).  A dialogue admitted but not written (or written twice) is never passed over: the
        shards stay, ``run.json`` lists it under ``lost``, and :class:`DialoguesLostError` is raised.
        """
        tally = writer.finish()
        record = manifest(tally)
        check = check_written(on_disk, admitted, tally.dialogue_ids)
        if not check.ok:  # keep the shards: running again plays exactly the missing dialogues
            writer.write_manifest(record | {"status": RUN_INCOMPLETE, "lost": check.record()})
            raise DialoguesLostError(self.path, check)
        record["status"] = RUN_INCOMPLETE if tally.dialogues < wanted else RUN_COMPLETE
        if budget is not None:
            record["budget"] = budget
        writer.write_manifest(record)
        state.tidy_completed(self.path)
        return tally, record

    def discard_unstarted(self) -> bool:
        """Remove the directory when it holds no dialogue yet (only a fingerprint); True if removed."""
        return state.discard_unstarted(self.path)
