"""Moved: the run-directory writer lives beside the contract, in :mod:`simsocial.run_writer` (kept so
existing imports still work)."""

from simsocial.run_writer import PROGRESS_FILE, SHARD_DIR, RunWriter, atomic_write_text

__all__ = ["PROGRESS_FILE", "SHARD_DIR", "RunWriter", "atomic_write_text"]
