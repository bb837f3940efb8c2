"""Write tests/golden/paper_prompts/*.json from the VS paper's released code itself.

    pip download --no-deps verbalized-sampling==0.1.3 -d /tmp/vs013
    cd /tmp/vs013 && python -m zipfile -e verbalized_sampling-0.1.3-py3-none-any.whl x
    python tools/paper_golden.py /tmp/vs013/x/verbalized_sampling

The package imports torch, litellm and more at import time, so instead of importing it this script reads
``tasks/dialogue/persuasion.py`` with :mod:`ast`, takes the prompt builders' source as it stands, and runs
that source against a minimal ``self``: the persona description and the conversation history are the
markers ``<<PERSONA>>`` (inside the paper's ``<persona>`` tags) and ``<<HISTORY>>`` (the only parts simsocial
fills with its own text).  Each file
records the file:line of the function that produced it and of the line that sends it.
"""

from __future__ import annotations

import ast
import enum
import json
import sys
import textwrap
from pathlib import Path

PERSONA, HISTORY = "<<PERSONA>>", "<<HISTORY>>"
OUT = Path(__file__).resolve().parents[1] / "tests" / "golden" / "paper_prompts"
K, WORD_LIMIT = 4, 160  # cli.py:183 (--num-samplings), cli.py:182 (--word-limit)

# simsocial's own private decision (the paper has none): the user message after the paper's persuadee frame.
DECISION_USER = (
    "Conversation:\n" + HISTORY + "\n\nThe chat is over. In private, decide how much of your $2.00 payment you "
    "actually donate to Save the Children (any amount from $0 to $2). Nobody will know what you choose.\n\n"
    "Generate one decision. In 'text', give a one-sentence reason. Answer with one JSON object like "
    '{"amount": "<an amount from 0 to 2.00>", "text": "<a one-sentence reason>"} and nothing else.'
)


class Method(enum.Enum):  # the members persuasion.py refers to (verbalized_sampling.methods.Method)
    DIRECT = "direct"
    SEQUENCE = "sequence"
    VS_STANDARD = "vs_standard"
    VS_COT = "vs_cot"
    VS_MULTI = "vs_multi"


class _State:
    def get_conversation_history(self) -> str:
        return HISTORY

    persuader_persona: dict = {}
    persuadee_persona: dict = {}


class _Task:
    def __init__(self, method: Method) -> None:
        self.method, self.num_samplings, self.word_limit = method, K, WORD_LIMIT

    def _get_persona_description(self, persona: dict) -> str:
        # The released fallback's shape (persuasion.py:266-272): the persona inside <persona> tags, over several
        # lines; that is what makes the persuader's dedent() a no-op (see simsocial.vs.paper_prompts).
        return f"<persona>\n{PERSONA}\n</persona>"


def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text())
    task = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "PersuasionTask")
    return {n.name: n for n in task.body if isinstance(n, ast.FunctionDef)}


def _bind(path: Path, node: ast.FunctionDef):
    source = textwrap.dedent(ast.get_source_segment(path.read_text(), node))
    namespace = {"dedent": textwrap.dedent, "Method": Method, "ConversationState": _State, "Any": object,
                 "Dict": dict, "List": list, "Optional": object}  # fmt: skip
    exec(compile(source, str(path), "exec"), namespace)  # the paper's own function text
    return namespace[node.name]


def _write(name: str, messages: list[dict], source: str, sent: str) -> None:
    record = {"source": source, "sent_at": sent, "k": K, "word_limit": WORD_LIMIT, "messages": messages}
    (OUT / f"{name}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def main(package: Path) -> None:
    persuasion = package / "tasks" / "dialogue" / "persuasion.py"
    funcs = _functions(persuasion)
    persuader, persuadee = funcs["create_persuader_prompt"], funcs["create_persuadee_prompt"]
    make_persuader, make_persuadee = _bind(persuasion, persuader), _bind(persuasion, persuadee)
    rel = "verbalized_sampling/tasks/dialogue/persuasion.py"
    OUT.mkdir(parents=True, exist_ok=True)
    for first, name in ((True, "persuader_first"), (False, "persuader_later")):
        text = make_persuader(_Task(Method.DIRECT), _State(), is_first_turn=first)
        _write(name, [{"role": "user", "content": text}],
               f"{rel}:{persuader.lineno}-{persuader.end_lineno} (create_persuader_prompt, is_first_turn={first})",
               "verbalized_sampling/tasks/dialogue/base.py:175-177")  # fmt: skip
    for method in Method:
        text = make_persuadee(_Task(method), _State())
        vs = method in (Method.VS_STANDARD, Method.VS_COT, Method.VS_MULTI)
        sent = "base.py:204-208" if vs else "base.py:204,226"
        _write(f"persuadee_{method.value}", [{"role": "user", "content": text}],
               f"{rel}:{persuadee.lineno}-{persuadee.end_lineno} (create_persuadee_prompt, method={method.name})",
               f"verbalized_sampling/tasks/dialogue/{sent}")  # fmt: skip
    for method in (Method.DIRECT, Method.VS_STANDARD):
        text = make_persuadee(_Task(method), _State())
        frame = text[: text.index("</persona>") + len("</persona>")]
        _write(f"decision_after_{method.value}", [{"role": "system", "content": frame},
                                                  {"role": "user", "content": DECISION_USER}],
               f"system: {rel}:{persuadee.lineno}-{persuadee.end_lineno} up to the persona (the persuadee's frame "
               f"under {method.name}); user: simsocial's own private decision, which the paper does not have",
               "simsocial only (final_donation)")  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]))
