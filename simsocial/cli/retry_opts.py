"""``--retry-failed`` (``run`` and ``batch``) and the closing line that tells how to use it.

A resume never replays a dialogue already written; failed ones (the endpoint gave up on them) are kept
with ``status = failed``.  ``--retry-failed`` plays exactly those again, with the same specs and so the
same seeds: a transient fault does not change the science.
"""

from __future__ import annotations

import shlex
import sys
from typing import Annotated

from simsocial.cli.options import flag

RetryFailed = Annotated[
    bool,
    flag("--retry-failed", help="Play the dialogues the run holds with status = failed again (same seeds); "
         "finished ones are kept. Without it a resume replays nothing already written."),
]  # fmt: skip


def retry_command(*extra: str) -> str:
    """This command line again, with ``--retry-failed`` (and ``extra``, e.g. ``--resume``) added once."""
    args = [a for a in sys.argv[1:] if a not in ("--retry-failed", *extra)]
    return shlex.join(["simsocial", *args, *extra, "--retry-failed"])


def retry_hint(failed: int, where: str, command: str) -> str:
    """What the summary says about the failed dialogues a run holds."""
    return (f"{failed} failed dialogue(s) are kept in {where} with status = failed; once the cause is fixed, "
            f"play them again (same seeds) with:\n  {command}")
