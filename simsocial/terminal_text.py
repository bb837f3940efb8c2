"""Text from a model or an endpoint made safe to print on a terminal.

Model output is untrusted (docs/security.md).  Printed as is, an utterance can carry terminal escape
sequences: ``OSC 52`` writes the clipboard, others set the window title, clear the screen or move the
cursor to overwrite earlier lines.  :func:`terminal_safe` removes every escape sequence and control
character (newlines and tabs stay), and the Unicode direction overrides that make text read differently
from what it holds.  Applied wherever model or endpoint text reaches a terminal; files keep the text as
the model wrote it.
"""

from __future__ import annotations

import re

# ESC-introduced sequences first (CSI "ESC [ ... final", OSC/DCS/APC/PM/SOS "... BEL or ST", two-byte
# "ESC x"), so no parameter text is left behind; then any other C0/C1 control and bidi override.
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, DCS, SOS, PM, APC (to BEL or ST, or the end)
    r"|\x1b[@-Z\\-_]?"  # other two-byte sequences, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"  # 8-bit OSC
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` without escape sequences, control characters (but ``\\n`` and ``\\t``) or bidi overrides."""
    if text.isprintable():  # the common case: nothing to strip (newlines and tabs are not printable)
        return text
    return _CONTROL.sub("", _ESCAPE.sub("", text))
