"""Read a donation amount (US$) out of one chat sentence — a small, documented heuristic.

Used to decide whether a human persuadee's ``provide-donation-amount`` act names a positive amount
(see :func:`simsocial.metrics.stance.human_act_to_stance`).  Only the *first* amount in the sentence is
read.  What it understands:

- ``$1.50``, ``$ 2``, ``5$``, ``1.50 dollars``, ``a dollar``, ``one dollar``, ``ten dollars`` → dollars
- ``50 cents``, ``twenty cents``, ``a penny``, ``a quarter``, ``a dime``, ``a nickel`` → cents / 100
- ``.50 cents`` / ``0.50 cents`` (a decimal below 1 followed by "cents") → read as dollars, because that
  is how participants wrote fifty cents ("i would like to donate .05 cents")
- a bare number ``0.50``, ``.6``, ``2`` → dollars
- ``nothing``, ``zero``, ``none``, ``no money`` → 0

Anything else (``half``, ``all of my payment``, ``whatever``) returns ``None``: the caller decides.
"""

from __future__ import annotations

import re

_WORD_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "seventy-five": 75,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_COINS = {"penny": 0.01, "nickel": 0.05, "dime": 0.10, "quarter": 0.25}

_NUMBER = r"(?:\d+(?:[.,]\d+)?|[.,]\d+)"
_WORD = "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
_QUANTITY = rf"(?P<num>{_NUMBER})|(?P<word>\b(?:{_WORD})\b)|(?P<a>\ba\b|\ban\b)"

_PATTERN = re.compile(
    rf"""
    (?P<dollar_sign>\$\s*(?P<sign_num>{_NUMBER}))                              # $1.50
    | (?:{_QUANTITY})\s*(?P<unit>\$|dollars?\b|bucks?\b|cents?\b|¢)            # 5$, 50 cents, a dollar
    | \b(?:a|an|one)\s+(?P<coin>penny|nickel|dime|quarter)\b                   # a quarter
    | (?P<zero>\b(?:nothing|zero|none|no\s+money)\b)                           # nothing
    | (?<![\w.,])(?P<bare>{_NUMBER})(?![\w%])                                  # 0.50
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _to_float(number: str) -> float:
    # A comma as decimal separator ("0,50") is far more common in this data than a thousands separator.
    return float(number.replace(",", "."))


def parse_amount(text: str | None) -> float | None:
    """The first donation amount (US$) mentioned in ``text``, or ``None`` if none is recognisable."""
    if not text:
        return None
    for match in _PATTERN.finditer(text):
        if match.group("dollar_sign"):
            return _to_float(match.group("sign_num"))
        if match.group("unit"):
            unit = match.group("unit").lower()
            if match.group("num"):
                value = _to_float(match.group("num"))
                decimal_below_one = value < 1 and any(c in match.group("num") for c in ".,")
            elif match.group("word"):
                value = float(_WORD_NUMBERS[match.group("word").lower()])
                decimal_below_one = False
            else:  # "a dollar", "a cent"
                value, decimal_below_one = 1.0, False
            if unit.startswith("cent") or unit == "¢":
                return value if decimal_below_one else value / 100
            return value
        if match.group("coin"):
            return _COINS[match.group("coin").lower()]
        if match.group("zero"):
            return 0.0
        if match.group("bare"):
            return _to_float(match.group("bare"))
    return None
