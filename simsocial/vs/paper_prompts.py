"""The VS paper's dialogue prompts, word for word, and the answer format each one implies.

Source: PyPI ``verbalized-sampling==0.1.3`` (Zhang et al. 2025, arXiv 2510.01171).  Paths below are inside
that package; ``tests/golden/paper_prompts/`` holds the prompts rendered by the package's own code
(``tools/paper_golden.py``), and ``tests/test_paper_golden.py`` compares these builders with them.

- The persuader: one user message, ``PersuasionTask.create_persuader_prompt``
  (tasks/dialogue/persuasion.py:108-137), sent as ``[{"role": "user", "content": prompt}]``
  (tasks/dialogue/base.py:177).  Its first message greets; later ones "continue persuading".
- The persuadee: one user message, ``create_persuadee_prompt`` (persuasion.py:139-219), always with the
  history branch (base.py:204 calls it without ``is_first_turn``; the "Scenario: ..." line at
  persuasion.py:213 never runs), sent at base.py:208 (VS) or base.py:226 (the others).
- The persona block sits where ``_get_persona_description`` puts it (persuasion.py:251-272): the
  paper's LLM-written personas were never released, so simsocial's persona text goes inside the same
  ``<persona>`` tags as the released fallback (persuasion.py:264-272).
- The history is ``ConversationState.get_conversation_history`` (base.py:71-77): ``"Persuader: ..."``
  and ``"Persuadee: ..."`` lines joined by newlines.

Which branch a method takes is the paper's: the "Treat any spending as real" sentence for VS-Standard,
VS-CoT and VS-Multi (persuasion.py:146); the method sentence for VS-Standard, VS-CoT and Sequence; every
other method, VS-Multi included, gets the Direct sentence (persuasion.py:203-206: 0.1.3 has no VS-Multi
prompt).  The answer is JSON only where the dialogue CLI turns strict JSON on (VS-Standard, VS-CoT,
Sequence; cli.py:221); otherwise it is plain text and the whole answer is the utterance.
"""

from __future__ import annotations

from typing import Any

from simsocial.vs.methods import Method

WORD_LIMIT = 160  # cli.py:182 (--word-limit default)
MODEL_DECIDED = "several"  # simsocial's own stand-in for {num_samplings} when k is left to the model

_NO_PERSONA = "A typical Amazon Mechanical Turk worker."  # persuasion.py:264
_VS_BASE = (Method.VS_STANDARD, Method.VS_COT, Method.VS_MULTI)  # persuasion.py:146
_JSON_METHODS = (Method.VS_STANDARD, Method.VS_COT, Method.SEQUENCE)  # cli.py:221 (strict_json)

# persuasion.py:115-127.  The persona block spans several lines and is put into the f-string *before*
# dedent(), so dedent() finds no common margin and removes nothing: every line after the first keeps the
# source's 8-space indent (only the persona's own lines start at column 0).  That is the text the paper sent.
_INDENT = " " * 8
_PERSUADER = (
    "You are an Amazon Mechanical Turk worker completing a $2 communication task.\n"
    f"{_INDENT}- You are motivated by this task payment — you value every cent you earn.\n"
    f"{_INDENT}- Act naturally as the person described below—think and respond as they would, including their "
    "quirks, beliefs, biases, and reasoning.\n"
    f"{_INDENT}- Your goal is to convince your chat partner to donate part of their task payment to charity.\n"
    f"{_INDENT}- Respond in a real-time chat interface. Keep each response under {{word_limit}} words, "
    "conversational, and authentic—avoid formal, robotic, or repetitive language.\n"
    "\n"
    f"{_INDENT}{{persona}}\n"
    "\n"
    f"{_INDENT}Scenario: You will chat with another worker who also earned $2 from a task. Try to convince them "
    "to donate some of their payment to Save the Children, a charity that helps children in need around the "
    "world. You can donate between $0 to $2 from your task payment."
)

_PERSUADER_FIRST = (  # persuasion.py:131
    "Start the conversation by greeting your chat partner and introducing the donation opportunity to Save the "
    "Children."
)
_PERSUADER_LATER = (  # persuasion.py:135
    "Previous conversation:\n{history}\n\nRespond to your chat partner to continue persuading them to donate:"
)

_PERSUADEE_MONEY = "- You are motivated by this task payment — you value every cent you earn."  # persuasion.py:161
_PERSUADEE_MONEY_VS = (  # persuasion.py:150
    _PERSUADEE_MONEY + " Treat any spending as real, and weigh the value of money before making decisions."
)
_PERSUADEE_BASE = """You are an Amazon Mechanical Turk worker completing a $2 communication task.
{money}
- Act naturally as the person described below—think and respond as they would, including their quirks, beliefs, biases, and reasoning.
- Complete the communication task outlined in the scenario as this person would naturally respond.
- Respond in a real-time chat interface. Keep each response under {word_limit} words, conversational, and authentic—avoid formal, robotic, or repetitive language."""  # noqa: E501  persuasion.py:147-165

_VS_STANDARD = """Generate {k} plausible responses that you would naturally give to your chat partner based on the chat history and your persona.

Return responses as a JSON object with the key "responses" (a list of dictionaries, each with 'text' and 'probability'):
- 'text': the response string only (no explanation or extra text).
- 'probability': the empirical probability representing how likely each response would be (from 0.0 to 1.0).
Give ONLY the JSON object, with no explanations or extra text."""  # noqa: E501  persuasion.py:170-179

_VS_COT = """Generate {k} plausible responses with reasoning that you would naturally give to your chat partner.

Return responses as a JSON object with the key "responses" (a list of dictionaries, each with 'reasoning', 'text', and 'probability'):
- 'reasoning': your thought process for this response.
- 'text': the response string only (no explanation or extra text).
- 'probability': the empirical probability representing how likely each response would be (from 0.0 to 1.0).
Give ONLY the JSON object, with no explanations or extra text."""  # noqa: E501  persuasion.py:181-191

_SEQUENCE = """Generate all plausible responses you would naturally give to your chat partner based on the chat history and your persona.

Return the responses in JSON format with keys: "responses" (list of dicts with 'text'). Each dictionary must include:
- 'text': the response string only (no explanation or extra text).

Give ONLY the JSON object, with no explanations or extra text."""  # noqa: E501  persuasion.py:193-202

_DIRECT = "Only output your reply to your chat partner—do not explain your reasoning."  # persuasion.py:204-206
_PERSUADEE_TURN = "Conversation so far:\n{history}\n\nRespond to your chat partner:"  # persuasion.py:216-217
_MODEL_DECIDED_NOTE = "Choose how many yourself (at most {max_k})."  # simsocial's, only when k is None


def persona_block(text: str) -> str:
    """A persona inside the paper's ``<persona>`` tags (persuasion.py:263-272)."""
    return f"<persona>\n{text.strip() or _NO_PERSONA}\n</persona>"


def persuader_prompt(persona: str, history: str, first: bool, word_limit: int = WORD_LIMIT) -> str:
    """The persuader's one user message (persuasion.py:108-137); ``persona`` is a :func:`persona_block`."""
    system = _PERSUADER.format(word_limit=word_limit, persona=persona)
    user = _PERSUADER_FIRST if first else _PERSUADER_LATER.format(history=history)
    return f"{system}\n\n{user}"


def persuadee_frame(method: Method, persona: str, word_limit: int = WORD_LIMIT) -> str:
    """The persuadee's base prompt and persona (persuasion.py:146-165, 208), without the method sentence."""
    money = _PERSUADEE_MONEY_VS if method in _VS_BASE else _PERSUADEE_MONEY
    return f"{_PERSUADEE_BASE.format(money=money, word_limit=word_limit)}\n\n{persona}"


def persuadee_instruction(method: Method, k: int | None, max_k: int) -> str:
    """The method's sentence (persuasion.py:167-206); ``k=None`` is simsocial's model-decided variant."""
    count = str(k) if k is not None else MODEL_DECIDED
    note = "" if k is not None else "\n" + _MODEL_DECIDED_NOTE.format(max_k=max_k)
    if method == Method.VS_STANDARD:
        return _VS_STANDARD.format(k=count) + note
    if method == Method.VS_COT:
        return _VS_COT.format(k=count) + note
    if method == Method.SEQUENCE:
        return _SEQUENCE
    return _DIRECT


def persuadee_prompt(
    method: Method, k: int | None, persona: str, history: str, max_k: int, word_limit: int = WORD_LIMIT
) -> str:
    """The persuadee's one user message (persuasion.py:139-219, the history branch)."""
    instruction = persuadee_instruction(method, k, max_k)
    frame = persuadee_frame(method, persona, word_limit)
    return f"{frame}\n\n{instruction}\n\n{_PERSUADEE_TURN.format(history=history)}"


def answers_in_json(method: Method) -> bool:
    """Does the paper ask this persuadee method for JSON (strict JSON on, cli.py:221)?  Else plain text."""
    return method in _JSON_METHODS


def answer_schema(method: Method) -> dict[str, Any] | None:
    """The JSON the paper's prompt describes for ``method``, with no length or count limits; None: plain text.

    The items are the prompt's dictionaries: ``text`` (Sequence), ``text`` + ``probability`` (VS-Standard),
    ``reasoning`` + ``text`` + ``probability`` (VS-CoT, persuasion.py:185-188: the reasoning is inside each
    response).  The prompt fixes no length and no number of items; only ``max_tokens`` bounds the answer.
    """
    if not answers_in_json(method):
        return None
    item: dict[str, Any] = {"text": {"type": "string"}}
    if method == Method.VS_COT:
        item = {"reasoning": {"type": "string"}, **item}
    if method != Method.SEQUENCE:
        item["probability"] = {"type": "number"}
    items = {"type": "object", "properties": item, "required": list(item), "additionalProperties": False}
    return {
        "type": "object",
        "properties": {"responses": {"type": "array", "items": items}},
        "required": ["responses"],
        "additionalProperties": False,
    }
