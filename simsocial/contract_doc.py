"""``docs/outputs.md``, generated from the output contract (:mod:`simsocial.contract`).

``python -m simsocial.contract_doc > docs/outputs.md`` rewrites it; ``tests/test_contract_doc.py`` fails when
the file and the contract differ, so a column added to the contract without a description, or a doc edited
by hand, is caught.
"""

from __future__ import annotations

from collections.abc import Iterable

from simsocial import contract
from simsocial.contract import FILES, Column, OutputFile
from simsocial.metrics.strategies import NON_STRATEGY, STRATEGIES

REGENERATE = "python -m simsocial.contract_doc > docs/outputs.md"

_INTRO = f"""\
# What a run directory holds

<!-- Generated from simsocial/contract.py by `{REGENERATE}`; do not edit by hand
     (tests/test_contract_doc.py fails when this file and the contract differ). -->

Every `simsocial run` (and every cell of a `simsocial batch`) writes one directory. Column names are a public
interface: columns may be added, never renamed or removed. Amounts are in the scenario's currency
(`task.currency` in the scenario, kept in `run.json` under `scenario.config.task.currency`; the column
*unit* says `currency`). While a run is going, finished dialogues are streamed into `shards/` and
`progress.json`; a completed run has neither.
"""

_PAIRS = """\
## Pairs that look contradictory

- **`in_dialogue_donation` 0.0 beside `last_stated_amount` 1.5.** They are two constructs. `last_stated_amount`
  is the `amount` field the model *chose* beside its reply (structured, from the scenario's grid).
  `in_dialogue_donation` is the VS paper's construct, read from the reply's *text* with the paper's regexes
  (a giving verb followed by an amount, e.g. "I'll donate $1.50"); a reply whose text does not say the amount
  in that form counts 0 there, whatever its `amount` field says. `final_donation` is a third one: the private
  decision after the chat. `compare --donation final|in-dialogue` picks which one is compared.
- **`attempts` 1 beside the repair `truncated_reasked`.** `attempts` counts whole elicitations: an answer that
  cannot be parsed is asked again as a new attempt (repair `parse_retry:<reason>`). A *truncated* answer is
  asked again at once with twice the token budget inside the same attempt, so `attempts` stays 1.
  `raw_answers.parquet` shows both answers: the cut one (`finish_reason` `length`) and the re-ask
  (`reasked` true).
- **`parse_status` `ok` beside a non-empty `repairs`.** The only repair that leaves a choice `ok` is the
  trivial `rounding_normalised` (probabilities summing within 1% of 1, rescaled); it is not counted in
  `n_parse_repairs` nor in the run table's "choices repaired".
- **`parse_status` `repaired` with `distribution_invented` false.** Most repairs change the wrapping or a field
  (a code fence, a stance in the wrong case), not the probabilities. `distribution_invented` is true only when
  the probabilities drawn from are not ones the model stated (the *invented* class below), and only for
  methods that verbalize probabilities (`vs_standard`, `vs_cot`, `vs_multi`): `direct`, `sequence` and
  `multi_turn` are uniform by design.
- **`final_donation` null with `status` `degraded`.** A choice failed to parse after every attempt, so the
  dialogue ended there, before the decision; nothing is filled in.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type(column: Column) -> str:
    return str(column.type).replace("list<item: string>", "list of string")


def _columns(columns: Iterable[Column]) -> list[str]:
    lines = ["| column | type | meaning | unit | null when |", "| --- | --- | --- | --- | --- |"]
    for c in columns:
        unit = c.unit or "–"
        lines.append(f"| `{c.name}` | {_type(c)} | {_cell(c.meaning)} | {unit} | {_cell(c.null)} |")
    return lines


def _file_section(spec: OutputFile) -> list[str]:
    return [f"## `{spec.name}`", "", f"One row per {spec.row}: {spec.about}.", "", *_columns(spec.columns), ""]


def _codes(title: str, codes: dict[str, str]) -> list[str]:
    return [f"### {title}", "", "| code | meaning |", "| --- | --- |",
            *(f"| `{code}` | {_cell(meaning)} |" for code, meaning in codes.items()), ""]  # fmt: skip


def _repairs() -> list[str]:
    lines = ["### Repair codes (`turns.repairs`; counted by code in `run.json` `counts.repair_codes`)", "",
             "Classes: **trivial** is the model's rounding, not counted as a repair; **format** fixed the "
             "answer's wrapping; **content** dropped, merged, mapped or clipped a candidate or a field; "
             "**invented** means the probabilities drawn from are not the model's (`distribution_invented`); "
             "**retry** asked again. `<field>` is `strategy`, `stance` or `amount`.", "",
             "| code | class | meaning |", "| --- | --- | --- |"]  # fmt: skip
    for code in contract.REPAIR_CODES.values():
        lines.append(f"| `{code.code}` | {code.kind} | {_cell(code.meaning)} |")
    return [*lines, ""]


def _manifest_counts() -> list[str]:
    return ["### `run.json` → `counts`", "",
            "`dialogues`; `status` (dialogues per status); `choices` (rows of turns.parquet); `choices_repaired` "
            "(parse_status `repaired`); `choices_failed`; `choices_invented` (`distribution_invented` true); "
            "`parse_repairs` and `parse_failures` (sums of the dialogues' columns); `repair_codes` (every code "
            "in `turns.repairs`, trivial ones included, by count).", ""]  # fmt: skip


def render() -> str:
    """The whole of ``docs/outputs.md``."""
    files = ["## Files", "", "| file | one row per | what |", "| --- | --- | --- |",
             *(f"| `{f.name}` | {f.row} | {_cell(f.about)} |" for f in FILES), ""]  # fmt: skip
    body = [_INTRO, *files, *_manifest_counts()]
    for spec in FILES:
        if spec.columns:
            body += _file_section(spec)
    strategies = {s: "one of the study's 10 persuasion strategies" for s in STRATEGIES}
    strategies["greeting, other, …"] = (f"the scenario's own `persuader.labels`; the strategy metrics count any label "
                                        f"outside the 10 as `{NON_STRATEGY}`")  # fmt: skip
    body += ["## Codes", "", *_codes("Dialogue `status`", contract.STATUSES),
             *_codes("Choice `parse_status`", contract.PARSE_STATUSES), *_codes("`role`", contract.ROLES),
             *_codes("`kind`", contract.KINDS),
             *_codes("Stances (`turns.label` of persuadee rows, `dialogues.stances`)",
                     contract.STANCE_CODES),
             *_codes("Strategies (`turns.label` of persuader rows)", strategies), *_repairs(), _PAIRS]  # fmt: skip
    return "\n".join(body).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
