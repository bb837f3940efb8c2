"""Every prompt of the paper preset, message by message, against golden files written from the paper's code.

``tests/golden/paper_prompts/*.json`` were rendered by verbalized-sampling 0.1.3's own prompt builders
(``tools/paper_golden.py``; each file names the file:line it comes from).  Here the preset runs whole
dialogues on an in-process scripted model, and every request it sends — the persuader's first and later
turns, the persuadee under each method, the private decision — must have the golden file's roles, number
of messages and text; only the persona text (``<<PERSONA>>``) and the dialogue history (``<<HISTORY>>``)
may differ, and the history must be the dialogue's own, in the paper's format.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import simsocial
from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.types import ChatRequest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "paper_prompts"
PRESET = ROOT / "scenarios" / "vs_paper_persuasion.yaml"
METHODS = ("direct", "sequence", "vs_standard", "vs_cot", "vs_multi")
PLAIN = ("direct", "vs_multi")  # strict JSON is off for these in the paper (cli.py:221): a plain reply


def _golden(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text())


def _pattern(text: str) -> re.Pattern:
    escaped = re.escape(text)
    escaped = escaped.replace(re.escape("<<PERSONA>>"), "(?P<persona>.+?)")
    escaped = escaped.replace(re.escape("<<HISTORY>>"), "(?P<history>.+)")
    return re.compile(escaped, re.DOTALL)


def _plain_or_schema(request: ChatRequest) -> str:
    if request.response_schema is None:  # a plain reply that states an amount, as a person might
        return f"Hi! Sure, I can give ${len(request.messages[-1]['content']) % 3}."
    return schema_answers()(request)


def _run(method: str) -> tuple[list[ChatRequest], simsocial.PersuasionModel]:
    scenario = simsocial.load_scenario(PRESET, max_turns=4)  # 2 persuader + 2 persuadee messages
    llm = ScriptedChatModel(_plain_or_schema)
    model = simsocial.PersuasionModel(scenario, n_dialogues=1, methods=[f"persuadee={method}"], rng=3, llm=llm)
    model.run_model()
    assert model.dialogues_frame()["status"].tolist() == ["ok"]
    return llm.requests, model


def _history_before(model: simsocial.PersuasionModel, turn: int, role: str) -> str:
    """The transcript a call at (turn, role) sees, as the paper formats it (base.py:71-77)."""
    turns = model.turns_frame()
    utter = turns[turns["kind"] == "utterance"].assign(_r=lambda f: f["role"].map({"persuader": 0, "persuadee": 1}))
    utter = utter.sort_values(["turn", "_r"])
    before = utter[(utter["turn"] < turn) | ((utter["turn"] == turn) & (utter["_r"] < (0 if role == "persuader"
                                                                                     else 1)))]  # fmt: skip
    return "\n".join(f"{r.role.capitalize()}: {r.text}" for r in before.itertuples())


def _check(request: ChatRequest, golden: dict, history: str | None) -> str:
    """Roles, number of messages and text as in the golden file; returns the persona text it carried."""
    messages = list(request.messages)
    assert [m["role"] for m in messages] == [m["role"] for m in golden["messages"]], golden["source"]
    personas = set()
    for sent, expected in zip(messages, golden["messages"], strict=True):
        match = _pattern(expected["content"]).fullmatch(sent["content"])
        assert match, f"{golden['source']}\n--- sent:\n{sent['content']}\n--- golden:\n{expected['content']}"
        groups = match.groupdict()
        if groups.get("history") is not None:
            assert groups["history"] == history
        if groups.get("persona") is not None:
            personas.add(groups["persona"])
    assert len(personas) <= 1
    return personas.pop() if personas else ""


def _kind(request: ChatRequest) -> tuple[int, str, str]:
    _, turn, role, kind = request.call_key.split("/")[:4]
    return int(turn.removeprefix("t")), role, kind


@pytest.mark.parametrize("method", METHODS)
def test_every_prompt_of_the_preset_is_the_papers(method: str) -> None:
    requests, model = _run(method)
    seen = set()
    persona = {}
    for request in requests:
        turn, role, kind = _kind(request)
        if role == "persuader":
            name = "persuader_first" if turn == 0 else "persuader_later"
            history = None if turn == 0 else _history_before(model, turn, role)
            assert request.response_schema is None  # the paper's persuader answers in plain text
        elif kind == "utterance":
            name = f"persuadee_{method}"
            history = _history_before(model, turn, role)
            schema = request.response_schema
            assert (schema is None) == (method in PLAIN)
            assert "maxLength" not in json.dumps(schema or {}) and "minLength" not in json.dumps(schema or {})
            if method == "vs_cot":  # 'reasoning' inside each response (persuasion.py:185-188), none on top
                assert list(schema["properties"]) == ["responses"]
                assert list(schema["properties"]["responses"]["items"]["properties"]) == [
                    "reasoning", "text", "probability"]  # fmt: skip
        else:
            name = "decision_after_" + ("vs_standard" if method.startswith("vs_") else "direct")
            history = _history_before(model, 99, "persuader")
        golden = _golden(name)
        text = _check(request, golden, history)
        persona.setdefault(role, set()).add(text)
        seen.add(name)
    assert {"persuader_first", "persuader_later", f"persuadee_{method}"} <= seen
    assert any(n.startswith("decision_after_") for n in seen)
    # One persona per role, the dialogue's own: non-empty, and never the paper's "typical worker" stand-in.
    assert all(len(texts) == 1 and next(iter(texts)).strip() for texts in persona.values())
    assert persona["persuader"] != persona["persuadee"]


def test_golden_files_name_the_paper_code_they_come_from() -> None:
    files = sorted(GOLDEN.glob("*.json"))
    assert {f.stem for f in files} >= {"persuader_first", "persuader_later", *(f"persuadee_{m}" for m in METHODS),
                                       "decision_after_direct", "decision_after_vs_standard"}  # fmt: skip
    for file in files:
        record = json.loads(file.read_text())
        assert re.search(r"tasks/dialogue/persuasion\.py:\d+-\d+", record["source"]), file.name
        assert record["k"] == 4 and record["word_limit"] == 160


@pytest.mark.parametrize(("role", "name", "value"), [("persuadee", "max_chars", 600), ("persuader", "annotate", True),
                                                      ("persuadee", "instructions", "Be nice.")])  # fmt: skip
def test_the_preset_refuses_what_its_prompts_would_ignore(tmp_path: Path, role: str, name: str, value) -> None:
    import yaml

    from simsocial.sim.scenario import ScenarioError

    data = yaml.safe_load(PRESET.read_text())
    data[role][name] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match=rf"{role}\.{name}: not allowed under protocol: paper"):
        simsocial.load_scenario(bad)
    scenario = simsocial.load_scenario(PRESET)
    assert not scenario.persuader.annotate and not scenario.persuadee.annotate  # text only, and run.json says so
    with pytest.raises(ValueError, match="persuader is always direct"):
        simsocial.parse_condition("vs_standard", scenario)


class _CutOff(ScriptedChatModel):
    """Plain answers come back cut off at max_tokens (finish_reason "length"), as a rambling model's do."""

    async def chat(self, request: ChatRequest):
        from dataclasses import replace

        response = await super().chat(request)
        return replace(response, finish_reason="length") if request.response_schema is None else response


def test_a_plain_answer_cut_off_at_max_tokens_is_kept_and_counted() -> None:
    # The paper keeps whatever max_tokens leaves (base.py:177-179); simsocial keeps it too, and says so.
    scenario = simsocial.load_scenario(PRESET, max_turns=2)
    llm = _CutOff(lambda r: "Hello there, would you like to" if r.response_schema is None else schema_answers()(r))
    model = simsocial.PersuasionModel(scenario, n_dialogues=1, methods=["persuadee=direct"], rng=1, llm=llm)
    model.run_model()
    turns = model.turns_frame()
    said = turns[turns["kind"] == "utterance"]
    assert model.dialogues_frame()["status"].tolist() == ["ok"]
    assert said["text"].tolist() == ["Hello there, would you like to"] * 2  # persuader, then the Direct persuadee
    assert all("truncated_kept" in list(r) for r in said["repairs"])
    assert len(llm.requests) == 3  # no re-ask: persuader, persuadee, decision
