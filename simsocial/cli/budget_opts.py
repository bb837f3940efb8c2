"""The budget options ``run`` and ``batch`` share: ``--dry-run``, ``--max-calls``, ``--max-tokens``."""

from __future__ import annotations

from typing import Annotated

import typer

from simsocial.bounds import MAX_CALLS, MAX_TOKENS
from simsocial.cli.options import flag
from simsocial.llm.budget import Budget

DryRun = Annotated[
    bool,
    flag("--dry-run", help="Print the LLM calls and prompt/completion tokens the run would spend per "
         "endpoint (an estimate from scenario, methods, k and turns), then stop: no call is made."),
]  # fmt: skip
MaxCalls = Annotated[
    int | None,
    typer.Option("--max-calls", min=1, max=MAX_CALLS, help="Stop admitting dialogues before this many calls to the "
                 "endpoint would be exceeded (cached answers are free); dialogues in flight finish, the run is "
                 "marked incomplete, and the command it prints continues it."),
]  # fmt: skip
MaxTokens = Annotated[
    int | None,
    typer.Option(
        "--max-tokens", min=1, max=MAX_TOKENS, help="Same for prompt + completion tokens (cached answers cost nothing)."
    ),
]


def budget_of(max_calls: int | None, max_tokens: int | None) -> Budget | None:
    budget = Budget(max_calls, max_tokens)
    return budget if budget.limited else None
