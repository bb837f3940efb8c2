"""Options shared by ``run`` and ``batch``: where the model is, how it is called, and the VS knobs.

Choices are declared (``Selection``, ``StructuredOutput``) so a typo is refused before anything runs, by
an error that names the flag; ranges are declared on the numbers for the same reason.  The VS knobs'
defaults, bounds and choices are read from :data:`simsocial.vs.methods.KNOBS` and its neighbours.  Boolean flags carry
``metavar=""`` so help does not print a ``<bool>`` value they do not take.
"""

from __future__ import annotations

import errno
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, get_args

import typer

from simsocial.bounds import MAX_CONCURRENCY, MAX_SEED, MAX_TURNS
from simsocial.llm.roles import RoleEndpoint
from simsocial.llm.settings import DEFAULT_CACHE_PATH, Dialect, LLMSettings
from simsocial.vs.methods import BASELINE_SELECTION, KNOBS, SELECTIONS, VS_SELECTION

StructuredOutput = StrEnum("StructuredOutput", {name: name for name in get_args(Dialect)})  # type: ignore[misc]

# How a candidate is picked from a verbalized distribution.
Selection = StrEnum("Selection", {name: name for name in SELECTIONS})  # type: ignore[misc]


def flag(*names: str, help: str) -> typer.models.OptionInfo:  # noqa: A002 - typer's own keyword
    """A boolean flag (no value, no ``<bool>`` in help)."""
    return typer.Option(*names, help=help, metavar="")


BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp). "
                 "Default: start the embedded SmolLM2-135M llama.cpp server.", envvar="SIMSOCIAL_BASE_URL",
                 show_default=False),
]  # fmt: skip
ModelName = Annotated[
    str | None, typer.Option("--model", help="Model name at --base-url.", envvar="SIMSOCIAL_MODEL", show_default=False)
]
Gguf = Annotated[
    Path | None,
    typer.Option("--gguf", help="GGUF file for the embedded server instead of SmolLM2.", show_default=False),
]
Concurrency = Annotated[
    int, typer.Option("--concurrency", "-c", min=1, max=MAX_CONCURRENCY, help="Dialogues (and LLM calls) in flight.")
]
Seed = Annotated[
    int, typer.Option("--seed", min=0, max=MAX_SEED, help="Run seed: same seed + cache = identical results.")
]
CachePath = Annotated[
    Path, typer.Option("--cache", help="SQLite record/replay cache; re-runs with the same seeds spend no tokens.")
]
NoCache = Annotated[bool, flag("--no-cache", help="Call the model for every request.")]
Structured = Annotated[
    StructuredOutput,
    typer.Option("--structured-output", help="How the answer schema is sent; auto probes the endpoint once."),
]
Quiet = Annotated[bool, flag("--quiet", "-q", help="No progress display.")]
Turns = Annotated[
    int | None,
    typer.Option("--turns", "-t", min=1, max=MAX_TURNS, help="Turns per dialogue [default: the scenario's max_turns]",
                 show_default=False),
]  # fmt: skip
_K, _TAIL, _TEMPERATURE = KNOBS["k"], KNOBS["tail_threshold"], KNOBS["temperature"]
K = Annotated[
    int | None,
    typer.Option("--k", min=_K.ge, max=_K.le, show_default=False,
                 help="Candidates per call of the methods that give several "
                      f"[default: the scenario's, else {_K.default}]"),
]  # fmt: skip
TailThreshold = Annotated[
    float | None,
    typer.Option("--tail-threshold", max=_TAIL.le, callback=lambda v: _above(v, _TAIL.gt, "--tail-threshold"),
                 show_default=False,
                 help="VS methods: ask that each probability be below p [default: the scenario's, else none]"),
]  # fmt: skip
SelectionOpt = Annotated[
    Selection | None,
    typer.Option("--selection", show_default=False,
                 help=f"How the candidate is drawn [default: {VS_SELECTION} for VS methods, {BASELINE_SELECTION} "
                      "otherwise]"),
]  # fmt: skip
Temperature = Annotated[
    float | None,
    typer.Option("--temperature", min=_TEMPERATURE.ge, max=_TEMPERATURE.le, show_default=False,
                 help="Sampling temperature sent with every call "
                      f"[default: the scenario's, else {_TEMPERATURE.default:g}]"),
]  # fmt: skip


def _above(value: float | None, bound: float, name: str) -> float | None:
    """An open lower bound, which click's ranges cannot declare."""
    if value is not None and value <= bound:
        raise typer.BadParameter(f"{value:g} is not above {bound:g}", param_hint=name)
    return value


def knob_overrides(
    k: int | None, tail_threshold: float | None, selection: Selection | None, temperature: float | None
) -> dict[str, object]:
    """The knob flags as ``MethodConfig`` fields (``None`` keeps the scenario's value)."""
    return {
        "k": k,
        "tail_threshold": tail_threshold,
        "selection": selection.value if selection is not None else None,
        "temperature": temperature,
    }


def llm_settings(
    base_url: str | None,
    model: str | None,
    gguf: Path | None,
    concurrency: int,
    cache: Path | None = DEFAULT_CACHE_PATH,
    no_cache: bool = False,
    structured_output: str = "auto",
    server_log: Path | None = None,
) -> LLMSettings:
    """Settings from CLI options, with a clear error for incomplete endpoint options.

    ``server_log`` is where the embedded server (if one is started) writes its log: the run directory,
    so logs do not pile up in the temp dir, one file per run.
    """
    if base_url and not model:
        raise typer.BadParameter("--model is required with --base-url", param_hint="--model")
    return LLMSettings(
        base_url=base_url,
        model=model,
        gguf=gguf,
        max_in_flight=concurrency,
        cache_path=None if no_cache else cache,
        cache_mode="off" if no_cache else "readwrite",
        structured_output=str(structured_output),  # type: ignore[arg-type]  # a declared choice
        server_log=server_log,
    )


def ensure_writable_dir(path: Path, flag_name: str = "--out", *, keep: bool = True) -> None:
    """Create ``path`` (and parents) or raise ``typer.BadParameter`` naming the flag, leaving nothing behind.

    ``keep=False`` only checks: directories it had to create are removed again.
    """
    created: list[Path] = []
    target = path.absolute()
    try:
        for parent in reversed([target, *target.parents]):
            if parent.exists():
                if not parent.is_dir():
                    raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(parent))
                continue
            parent.mkdir(mode=0o700)  # a run's prompts and answers are this user's only (docs/security.md)
            created.append(parent)
        probe = target / ".simsocial-write-test"
        probe.write_text("")
        probe.unlink()
        if not keep:
            for made in reversed(created):
                made.rmdir()
    except OSError as exc:
        for made in reversed(created):
            made.rmdir()
        reason = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
        raise typer.BadParameter(f"cannot write to {path}: {reason.lower()}{where}", param_hint=flag_name) from None


# The VS paper's protocol puts the persuader on its own (fixed, Direct) model: `run` and `batch` share these.
PersuaderModelName = Annotated[
    str | None, typer.Option("--persuader-model", help="Model name at --persuader-base-url.")
]
PersuaderKeyEnv = Annotated[
    str | None,
    typer.Option(
        "--persuader-api-key-env",
        help="Environment variable holding the persuader's key [default: OPENAI_API_KEY]",
        show_default=False,
    ),
]


def persuader_endpoint(base_url: str | None, model: str | None, key_env: str | None) -> RoleEndpoint | None:
    """The persuader's own endpoint from ``--persuader-base-url/-model/-api-key-env`` (None: none given).

    The base URL and the model go together, and a key variable needs both (alone it would otherwise be
    silently ignored), so a partial set is a :class:`ValueError` that names the flag(s) missing.
    """
    if base_url and model:
        return RoleEndpoint(base_url=base_url, model=model, api_key_env=key_env)
    given = {"--persuader-base-url": base_url, "--persuader-model": model, "--persuader-api-key-env": key_env}
    missing = [flag for flag in ("--persuader-base-url", "--persuader-model") if not given[flag]]
    # An empty --persuader-api-key-env "" counts as given: it is refused, not taken for OPENAI_API_KEY.
    named = [flag for flag, value in given.items() if flag not in missing and value is not None]
    if not named:
        return None
    verb = "need" if len(named) > 1 else "needs"
    raise ValueError(f"{' and '.join(named)} {verb} {' and '.join(missing)} (the persuader's own endpoint)")


def check_out_path(out: Path, flag_name: str = "--out") -> None:
    """Refuse an ``--out`` that exists but is not a directory (``typer.BadParameter`` naming it)."""
    if out.exists() and not out.is_dir():
        raise typer.BadParameter(f"{out} is a file, not a directory; give a directory for the results",
                                 param_hint=flag_name)  # fmt: skip


def check_cache(cache: Path | None) -> None:
    """Refuse a cache file that cannot be created or written, naming the cache path; creates nothing.

    Checked before the run directory is made, so the error names the cache rather than the run.
    """
    if cache is None:
        return
    if cache.is_dir():
        raise typer.BadParameter(f"the cache {cache} is a directory; give a file path (e.g. {cache / 'llm.sqlite'})",
                                 param_hint="--cache")  # fmt: skip
    try:
        ensure_writable_dir(cache.parent, "--cache", keep=False)
    except typer.BadParameter as exc:
        raise typer.BadParameter(f"cannot write the cache {cache}: {exc.message.partition(': ')[2]}",
                                 param_hint="--cache") from None  # fmt: skip
    if cache.exists() and not os.access(cache, os.W_OK):
        raise typer.BadParameter(f"cannot write the cache {cache}: permission denied", param_hint="--cache")
