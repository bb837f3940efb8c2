"""The ``simsocial`` command: one Typer app; each sub-command lives in its own module and registers here."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from simsocial import __version__


class _NoBoolMetavar:
    """``--help`` takes no value, so help shows none (Typer would print ``<bool>``)."""

    def get_help_option(self, ctx):  # type: ignore[no-untyped-def]  # Typer's vendored click types
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.metavar = ""
        return option


class _Command(_NoBoolMetavar, TyperCommand):
    pass


# Each command's module is imported only when that command runs (or its own --help is asked), so
# `simsocial --help` and `--version` import no pandas, pyarrow, openai or Mesa.  The one-line help shown in
# `simsocial --help` is kept here; tests/test_cli_startup.py checks it is each command's own.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve-local": ("simsocial.cli.serve_cmd",
                    "Serve the embedded model as an OpenAI-compatible endpoint on 127.0.0.1 until Ctrl-C."),
    "run": ("simsocial.cli.run_cmd",
            "Simulate persuasion dialogues in which every utterance and the donation are sampled from "
            "LLM-verbalized distributions, and write run.json + dialogues/turns/candidates.parquet."),
    "batch": ("simsocial.cli.batch_cmd",
              "Run a Monte Carlo sweep: each cell of the grid (methods × VS knobs × endpoints × seeds) writes a run."),
    "campaign": ("simsocial.cli.campaign_cmd",
                 "Run a word-of-mouth persuasion campaign on a social network: each round every advocate talks with "
                 "friends who have not adopted (VS-sampled dialogues, all of a round concurrently); those who give "
                 "at least adopt_at advocate from the next round."),
    "human": ("simsocial.cli.human_cmd",
              "Show the human reference figures from the bundled PersuasionForGood study."),
    "compare": ("simsocial.cli.compare_cmd",
                "Compare simulated runs with the human PersuasionForGood data, one row per run × method."),
    "scenario-schema": ("simsocial.cli.scenario_schema_cmd",
                        "Print the JSON Schema of scenario YAML files (for editors: docs/scenarios.md)."),
    "calibrate": ("simsocial.cli.calibrate_cmd", "Calibrate on half of the human persuadees, test on the other half."),
    "viz": ("simsocial.cli.viz_cmd",
            "Step and play the persuasion model in the browser: latest utterances, stance shares per step, stated "
            "amounts against the human donations (Mesa's SolaraViz; needs the 'viz' extra)."),
}  # fmt: skip


def load_command(name: str) -> TyperCommand:
    """Import ``name``'s module and build its click command (as Typer would for the whole app)."""
    import importlib

    sub = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, rich_markup_mode=None)  # as `app`
    importlib.import_module(COMMANDS[name][0]).register(sub)
    for info in sub.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = _Command
    built = typer.main.get_command(sub)
    commands = getattr(built, "commands", None)  # a group: the module registers several commands (human, compare)
    if commands is not None:
        built = commands[name]
    built.name = name
    return built  # type: ignore[return-value]  # Typer builds its own (vendored click) command classes


class _Group(_NoBoolMetavar, TyperGroup):
    """The ``simsocial`` group: commands are loaded on first use; listing them loads none."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:  # `simsocial --help`: the name and its one-line help are enough
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1], short_help=COMMANDS[cmd_name][1])
        if cmd_name not in self.commands:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=_Group,
    name="simsocial",
    help="Social dialogue simulation: Mesa agents that sample every choice from LLM-verbalized distributions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold an API key
    # Plain help: every option's full name stays visible at 80 columns (Rich's option table cut them to
    # "--persuader-api-…"), and `simsocial --help` needs no Rich.
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"simsocial {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_show_version, is_eager=True,
                     metavar=""),
    ] = False,
) -> None:  # fmt: skip
    """Social dialogue simulation: Mesa agents that sample every choice from LLM-verbalized distributions."""


def cli() -> None:
    """The console entry point: ``app`` with one clear line instead of a traceback for unexpected errors.

    ``SIMSOCIAL_DEBUG=1`` shows the traceback.  Output a failing ``compare`` had begun is removed first.
    """
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last line of defence; SIMSOCIAL_DEBUG re-raises
        from simsocial.cli.compare_checks import undo_partial_output  # imported late: --help stays quick
        from simsocial.llm.errors import redact
        from simsocial.terminal_text import terminal_safe

        undo_partial_output()
        if os.environ.get("SIMSOCIAL_DEBUG"):
            raise
        if isinstance(exc, OSError) and exc.strerror:
            detail = f"{exc.strerror.lower()}: {exc.filename}" if exc.filename else exc.strerror.lower()
        else:
            detail = f"{type(exc).__name__}: {exc}"
        print(f"error: {terminal_safe(redact(detail))}", file=sys.stderr)
        print("(unexpected; SIMSOCIAL_DEBUG=1 shows the traceback — please report it)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cli()
