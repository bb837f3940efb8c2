"""Monte Carlo sweeps: a grid of conditions × knobs × endpoints × seeds, each cell a checkpointed,
resumable run directory; executed locally or on a Ray cluster.  See docs/batch.md.

Names are imported on first use (PEP 562), so ``simsocial.batch.estimate`` can be read by a single run
without loading the sweep runner.
"""

from __future__ import annotations

from simsocial.lazy_names import lazy_getattr

_HOME = {
    "Cell": "simsocial.batch.cells",
    "expand_cells": "simsocial.batch.cells",
    "SWEEP_FILE": "simsocial.batch.index",
    "SWEEP_SCHEMA": "simsocial.batch.index",
    "SweepIndex": "simsocial.batch.index",
    "read_index": "simsocial.batch.index",
    "SweepPlan": "simsocial.batch.runner",
    "SweepResult": "simsocial.batch.runner",
    "plan_sweep": "simsocial.batch.runner",
    "run_sweep": "simsocial.batch.runner",
    "Endpoint": "simsocial.batch.sweep",
    "Sweep": "simsocial.batch.sweep",
    "SweepError": "simsocial.batch.sweep",
    "load_sweep": "simsocial.batch.sweep",
}

__all__ = sorted(_HOME)


__getattr__ = lazy_getattr(__name__, _HOME)
