"""The VS paper's donation construct: the last amount the persuadee states in the conversation.

Follows verbalized_sampling 0.1.3 (PyPI): ``PersuasionTask._extract_donation_amount``
(tasks/dialogue/persuasion.py:274-302) reads one utterance; ``extract_outcome`` (persuasion.py:221-235)
keeps the last amount found over the persuadee's utterances, $0 when none.  The regexes are the paper's:

- cents first: a giving verb, then an amount and "cents" (persuasion.py:280); amounts ≥ 1 are divided by
  100 (so "give 50 cents" is $0.50, but ".5 cents" stays $0.50 too — the paper's quirk, kept);
- then dollars: a giving verb, optionally "the whole/all/entire", optionally "$", an amount
  (persuasion.py:292);
- within one utterance the first match of the cents pattern wins, else the first dollar match;
- the dollar branch is capped at the maximum (the paper's $2, persuasion.py:300).  The cents branch is
  not capped in the code that produces the dialogue's outcome (persuasion.py:284-289: "donate 300 cents"
  gives $3.00, and that outcome is what the CLI's evaluator reads, evals/dialogue/donation.py:78-79); only
  the evaluator's own re-extraction caps it (donation.py:231), which the CLI does not use for outcomes.
  ``cents_capped=False`` follows persuasion.py (runs under ``protocol: paper``); the default caps both, as
  simsocial always has.

There is no negation handling, so "I can't give $2" reads as $2, exactly as in the paper.  simsocial
writes this value as ``in_dialogue_donation`` next to its own private ``final_donation``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PAPER_MAXIMUM = 2.0
_VERBS = r"(?:donate|donating|give|giving|do|spare|contribute|contributing)"
_CENTS = re.compile(rf"\b{_VERBS}\s*\$?(\d*\.\d{{1,2}}|\d+)\s*cents\b")  # persuasion.py:280
_DOLLARS = re.compile(rf"\b{_VERBS}\s*(?:the whole|all|entire)?\s*\$?(\d*\.\d{{1,2}}|\d+)\b")  # persuasion.py:292


def extract_amount_paper(text: str | None, maximum: float = PAPER_MAXIMUM, cents_capped: bool = True) -> float | None:
    """The amount one utterance states under the paper's regexes, capped at ``maximum``; None if none.

    ``cents_capped=False``: an amount in cents is not capped, as in persuasion.py:284-289.
    """
    if not text:
        return None
    lower = text.lower()
    cents = _CENTS.search(lower)
    if cents:
        amount = float(cents.group(1))
        if amount >= 1.0:
            amount /= 100
        return min(amount, maximum) if cents_capped else amount
    dollars = _DOLLARS.search(lower)
    if dollars:
        return min(float(dollars.group(1)), maximum)
    return None


def last_stated_paper(
    persuadee_utterances: Iterable[str | None], maximum: float = PAPER_MAXIMUM, cents_capped: bool = True
) -> float | None:
    """The last amount stated over the persuadee's utterances, in order; None when none is stated."""
    found = [extract_amount_paper(t, maximum, cents_capped) for t in persuadee_utterances]
    found = [a for a in found if a is not None]
    return found[-1] if found else None


def in_dialogue_donation(
    persuadee_utterances: Iterable[str | None], maximum: float = PAPER_MAXIMUM, cents_capped: bool = True
) -> float:
    """The last amount stated over the persuadee's utterances, in order; 0.0 when none is stated."""
    last = last_stated_paper(persuadee_utterances, maximum, cents_capped)
    return 0.0 if last is None else last
