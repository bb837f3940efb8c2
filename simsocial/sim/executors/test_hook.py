"""A documented test hook that plants a lost dialogue, to prove the end-of-run invariant catches it.

``SIMSOCIAL_TEST_LOSE_DIALOGUE=<id>[,<id>...]`` in the environment of the process that runs the
command makes whatever plays those dialogues drop them once they are finished, as a hand-over bug would:
the local executor does not hand them to the writer; the process and Ray drivers pass the ids to their
workers (as an argument: a Ray worker does not share the driver's environment), which play them but
never send their rows back.  The run must then fail loudly and be resumable
(:mod:`simsocial.sim.invariant`).  Tests only: never set it for a real run.
"""

from __future__ import annotations

import os

LOSE_ENV = "SIMSOCIAL_TEST_LOSE_DIALOGUE"


def planted_losses() -> frozenset[str]:
    """The dialogue ids the test hook asks to drop (none unless the variable is set)."""
    return frozenset(filter(None, (part.strip() for part in os.environ.get(LOSE_ENV, "").split(","))))
