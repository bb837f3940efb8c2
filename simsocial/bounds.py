"""Upper bounds on every count and size a user can give (command-line options and sweep files).

A number beyond these is refused before anything starts (exit 2, one line naming the option), so a typo
such as ``-n 99999999999999999999`` can never make a run plan more work than memory holds.  The bounds
are generous and keep memory bounded: a run streams its dialogues to disk, and the plan of its largest
accepted size, one million dialogues, adds about 220 MB (measured: 189 → 407 MB RSS); such a run streams at
about 475 MB.

Imports nothing: the CLI, the sweep schema and the simulation all read these numbers.
"""

from __future__ import annotations

MAX_DIALOGUES = 1_000_000  # per run (dialogues × conditions) and per sweep cell; the plan holds one spec each
MAX_SWEEP_DIALOGUES = MAX_DIALOGUES  # over all cells of a sweep: cells run side by side, each plans its own
MAX_CELLS = 10_000  # cells of one sweep (each is a run directory)
MAX_TURNS = 100  # the scenario schema's own bound on turns.max_turns
MAX_K = 20  # candidates per call
MAX_CONCURRENCY = 1_024  # dialogues (and LLM calls) in flight
MAX_WORKERS = 256  # worker processes of `batch --executor processes`
MAX_SHARD_SIZE = 100_000  # dialogues per checkpoint shard
MAX_CALLS = 10**12  # --max-calls
MAX_TOKENS = 10**15  # --max-tokens
MAX_SEED = 2**63 - 1  # seeds are stored as int64 in the Parquet files
MAX_RESAMPLES = 1_000_000  # compare --resamples (each interval holds one statistic per resample)


def check_total(dialogues: int, conditions: int, what: str = "a run") -> str | None:
    """The refusal message when ``dialogues`` × ``conditions`` exceeds :data:`MAX_DIALOGUES`, else None."""
    total = dialogues * conditions
    if total <= MAX_DIALOGUES:
        return None
    return (f"{dialogues:,} dialogue(s) × {conditions} condition(s) = {total:,} is more than {what} holds "
            f"(at most {MAX_DIALOGUES:,}); split it into several runs")  # fmt: skip
