"""Candidate texts that are JSON debris, not speech.

A small model sometimes breaks its JSON so that a "text" comes out as ``"}, {"`` or
``"probability": 0.3``; spoken, that becomes a persuadee utterance like ``... }, {``.  Such a candidate is
a failed candidate: the parser drops it and counts a ``json_debris_dropped`` repair, exactly as it does
for an empty text, so it is never sampled.
"""

from __future__ import annotations

import re

_STRUCTURE = re.compile(r"[{}\[\]\"]")
# A quoted key followed by a colon: object structure, not a sentence.
_KEY = re.compile(r"\"\s*[A-Za-z_][\w ]*\"\s*:")


def is_json_debris(text: str) -> bool:
    """True when ``text`` is JSON structure without words (``}, {``, ``"],``) or a fragment of a JSON object
    (``"probability": 0.3``).  Plain punctuation such as ``...`` is left alone: it may be what was meant."""
    stripped = text.strip()
    if stripped[:1].isalnum():  # starts like a sentence: has words and does not open a JSON fragment
        return False
    if not any(ch.isalnum() for ch in stripped):
        return bool(_STRUCTURE.search(stripped))
    return bool(_KEY.search(stripped)) and stripped[:1] in '{[",'
