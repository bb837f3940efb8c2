"""Ask a chat model for a verbalized distribution with a given method, and sample one choice from it.

The bridge between :mod:`simsocial.vs` (prompts, parsing, sampling; no I/O) and :mod:`simsocial.llm`
(messages in, text out).  One :func:`elicit` call = one choice of one agent: it runs the method's calls
in one conversation, parses and repairs each answer, retries the whole elicitation when an answer cannot
be parsed at all, and draws the choice with the caller's seeded generator.

A truncated answer (``finish_reason == "length"``, or JSON that is opened and never closed) is asked
again once with :data:`TRUNCATION_BUDGET_FACTOR` times the token budget (repair ``truncated_reasked``).
If that is cut off too, the attempt fails with reason ``truncated_answer`` — a failed parse, re-asked
like any other and recorded as ``parse_retry:truncated_answer`` — and its text is never used.  (The VS
paper's code makes any unparseable answer the utterance with p = 1, verbalized_sampling 0.1.3
tasks/dialogue/base.py:219-223; simsocial deliberately does not.)

A plain-text call (:attr:`CallSpec.plain_text`: the paper's Direct prompts under ``protocol: paper``) asks
for no JSON and sends no schema: the whole answer, stripped, is the one candidate, as in the paper
(base.py:177-179, 226-227).  A plain answer cut off at ``max_tokens`` is kept as the paper keeps it, and the
repair ``truncated_kept`` counts it; an empty answer is a failed parse, re-asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from simsocial.contract import INVENTED_REPAIRS, TRIVIAL_REPAIRS
from simsocial.llm.base import ChatModel
from simsocial.llm.errors import AnswerTooLarge
from simsocial.llm.types import ChatRequest, ChatResponse
from simsocial.vs import (
    CallSpec,
    Candidate,
    MethodConfig,
    Query,
    VerbalizedDistribution,
    VSParseError,
    combine_answers,
    first_user_message,
    parse_distribution,
    plan,
)
from simsocial.vs.methods import MODEL_DECIDED_MAX_K
from simsocial.vs.parsing import MALFORMED, is_unclosed_json

ParseStatus = Literal["ok", "repaired", "failed"]
CandidateCheck = Callable[[Candidate], bool]

DEFAULT_MAX_PARSE_ATTEMPTS = 3
TRUNCATION_BUDGET_FACTOR = 2
TRUNCATED = "truncated_answer"
PAPER_MAX_TOKENS = 500  # the paper's max_tokens (cli.py:189), when the method sets none
PLAIN_TRUNCATED = "truncated_kept"  # a plain-text answer cut off at max_tokens, kept as the paper keeps it


def is_truncated(response: ChatResponse) -> bool:
    """The answer was cut off: the server says so, or the JSON it opened is never closed."""
    return response.finish_reason == "length" or is_unclosed_json(response.text)


@dataclass(frozen=True)
class RawAnswer:
    """One answer exactly as the endpoint returned it, and where it belongs in the elicitation."""

    attempt: int  # from 1
    call: int  # the call within the attempt, from 0
    reasked: bool  # the longer re-ask of a truncated answer
    finish_reason: str | None
    text: str


@dataclass
class Elicitation:
    """The outcome of one choice: the distribution, the drawn index, what it cost, and the raw answers."""

    distribution: VerbalizedDistribution | None
    chosen_index: int | None
    parse_status: ParseStatus
    attempts: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: list[str] = field(default_factory=list)  # why each unusable attempt failed, in attempt order
    raw_answers: list[RawAnswer] = field(default_factory=list)
    verbalizes: bool = False  # the method states probabilities (VS), so a filled-in one is invented

    @property
    def repairs(self) -> list[str]:
        """Every repair code of the distribution drawn from (trivial ones included)."""
        return list(self.distribution.repairs) if self.distribution is not None else []

    @property
    def substantive_repairs(self) -> list[str]:
        """The repairs that count as repairs: all but the model's rounding (``rounding_normalised``)."""
        return [r for r in self.repairs if r not in TRIVIAL_REPAIRS]

    @property
    def distribution_invented(self) -> bool | None:
        """True when the probabilities drawn from are not ones the model stated (None: nothing was drawn)."""
        if self.distribution is None:
            return None
        return self.verbalizes and any(r in INVENTED_REPAIRS for r in self.distribution.repairs)

    @property
    def chosen(self) -> Candidate | None:
        if self.distribution is None or self.chosen_index is None:
            return None
        return self.distribution.candidates[self.chosen_index]


def default_max_tokens(call: CallSpec, query: Query) -> int:
    """A budget that fits the answer the schema asks for (≈4 characters a token, plus JSON overhead)."""
    if query.layout == "paper":
        return PAPER_MAX_TOKENS
    per_item = query.text_max_length // 4 + 24 + 8 * len(query.fields)
    n = call.n_candidates or MODEL_DECIDED_MAX_K  # model-decided k: room for the most the prompt allows
    return 64 + per_item * n + (150 if "reasoning" in call.schema.get("properties", {}) else 0)


async def elicit(
    llm: ChatModel,
    config: MethodConfig,
    query: Query,
    rng: np.random.Generator,
    call_key: str,
    max_parse_attempts: int = DEFAULT_MAX_PARSE_ATTEMPTS,
    usable: CandidateCheck | None = None,
) -> Elicitation:
    """Elicit one distribution and draw from it with ``rng``.

    ``usable`` filters candidates that lack something the caller needs (e.g. a donation amount); each
    one removed is counted as a repair.  Endpoint failures propagate as
    :class:`~simsocial.llm.errors.LLMEndpointError`; answers that cannot be parsed after
    ``max_parse_attempts`` give ``parse_status == "failed"`` and no choice.
    """
    calls = plan(config, query)
    result = Elicitation(None, None, "failed", 0, verbalizes=config.method.verbalizes_probabilities)
    for attempt in range(max_parse_attempts):
        result.attempts = attempt + 1
        seed = int(rng.integers(2**31 - 1))  # the server's sampling seed: replayable, distinct per call
        try:
            answers = await _run_calls(llm, config, query, calls.calls, seed, f"{call_key}/a{attempt}", result)
            # A plain reply is the whole distribution (p = 1): nothing to combine, no k to check.
            distribution = answers[0] if calls.calls[0].plain_text else _read(combine_answers, config, answers)
            if usable is not None:
                distribution = _read(_keep_usable, distribution, usable)
        except VSParseError as exc:
            result.errors.append(exc.reason)
            continue
        except AnswerTooLarge:
            result.errors.append("answer_too_large")  # the body was not read whole: a failed attempt
            continue
        result.distribution = distribution
        result.chosen_index = distribution.sample(rng, config.effective_selection)
        result.parse_status = "repaired" if result.substantive_repairs or attempt > 0 else "ok"
        return result
    return result


async def _run_calls(
    llm: ChatModel,
    config: MethodConfig,
    query: Query,
    calls: tuple[CallSpec, ...],
    seed: int,
    call_key: str,
    result: Elicitation,
) -> list[VerbalizedDistribution]:
    # The paper's layout sends one user message and no system message (base.py:177, 208, 226).
    messages: list[dict[str, str]] = [] if query.layout == "paper" else [{"role": "system", "content": query.system}]
    answers = []
    for index, call in enumerate(calls):
        user = first_user_message(query, call) if index == 0 else call.instruction
        messages.append({"role": "user", "content": user})
        budget = config.max_tokens or default_max_tokens(call, query)
        request = ChatRequest(
            messages=tuple(messages),
            response_schema=None if call.plain_text else call.schema,
            temperature=config.temperature,
            top_p=config.top_p,
            max_tokens=budget,
            seed=seed + index,
            call_key=f"{call_key}/c{index}",
        )
        response = await _ask(llm, request, result, index)
        if call.plain_text:
            answers.append(_plain_answer(response))
            messages.append({"role": "assistant", "content": response.text})
            continue
        reasked = is_truncated(response)
        if reasked:
            longer = replace(request, max_tokens=budget * TRUNCATION_BUDGET_FACTOR, call_key=f"{request.call_key}/long")
            response = await _ask(llm, longer, result, index, reasked=True)
            if is_truncated(response):
                raise VSParseError(TRUNCATED, response.text)
        answer = _read(parse_distribution, response.text, query.fields, call.expects_probabilities)
        if reasked:
            answer = VerbalizedDistribution(answer.candidates, (*answer.repairs, "truncated_reasked"), answer.raw_text)
        answers.append(answer)
        messages.append({"role": "assistant", "content": response.text})
    return answers


def _read(read: Callable[..., VerbalizedDistribution], *args: Any) -> VerbalizedDistribution:
    """``read(*args)``, where anything an answer holds that breaks reading it (huge numbers, deep nesting) is a
    failed parse of this one choice, counted and re-asked, never a crash of the run (docs/security.md).  Only
    reading is guarded: an exception from the chat model itself is a bug and surfaces."""
    try:
        return read(*args)
    except VSParseError:
        raise
    except (RecursionError, ValueError, ArithmeticError):
        raise VSParseError(MALFORMED, "") from None


def _plain_answer(response: ChatResponse) -> VerbalizedDistribution:
    """A plain-text answer as the one candidate (p = 1); cut off at max_tokens, it is kept and counted."""
    text = (response.text or "").strip()
    if not text:
        raise VSParseError("empty answer", response.text or "")
    repairs = (PLAIN_TRUNCATED,) if response.finish_reason == "length" else ()
    return VerbalizedDistribution((Candidate(text, 1.0),), repairs, response.text)


async def _ask(
    llm: ChatModel, request: ChatRequest, result: Elicitation, call: int, reasked: bool = False
) -> ChatResponse:
    response = await llm.chat(request)
    result.prompt_tokens += response.prompt_tokens
    result.completion_tokens += response.completion_tokens
    # Kept for the run directory (raw_answers.parquet): a choice is auditable without the cache.
    result.raw_answers.append(RawAnswer(result.attempts, call, reasked, response.finish_reason, response.text))
    return response


def _keep_usable(distribution: VerbalizedDistribution, usable: CandidateCheck) -> VerbalizedDistribution:
    kept = [c for c in distribution.candidates if usable(c)]
    if not kept:
        raise VSParseError("no usable candidate", distribution.raw_text or "")
    dropped = len(distribution.candidates) - len(kept)
    if not dropped:
        return distribution
    repairs = (*distribution.repairs, *(["unusable_candidate_dropped"] * dropped))
    return VerbalizedDistribution.normalised(kept, repairs, distribution.raw_text, record_rescale=False)
