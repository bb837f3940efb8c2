"""Monte Carlo sweeps: a grid of conditions × knobs × endpoints × seeds, each cell a checkpointed,
resumable run directory; executed locally or on a Ray cluster.  See docs/batch.md."""

from simsocial.batch.cells import Cell, expand_cells
from simsocial.batch.index import SWEEP_FILE, SWEEP_SCHEMA, SweepIndex, read_index
from simsocial.batch.runner import SweepPlan, SweepResult, plan_sweep, run_sweep
from simsocial.batch.sweep import Endpoint, Sweep, SweepError, load_sweep

__all__ = [
    "SWEEP_FILE",
    "SWEEP_SCHEMA",
    "Cell",
    "Endpoint",
    "Sweep",
    "SweepError",
    "SweepIndex",
    "SweepPlan",
    "SweepResult",
    "expand_cells",
    "load_sweep",
    "plan_sweep",
    "read_index",
    "run_sweep",
]
