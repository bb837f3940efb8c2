"""The ``simsocial`` command: one Typer app; each sub-command lives in its own module and registers here."""

from __future__ import annotations

import os
import sys
from typing import Annotated

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


class _Group(_NoBoolMetavar, TyperGroup):
    pass


class _Command(_NoBoolMetavar, TyperCommand):
    pass


app = typer.Typer(
    cls=_Group,
    name="simsocial",
    help="Social dialogue simulation: Mesa agents that sample every choice from LLM-verbalized distributions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold an API key
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


def _register_commands() -> None:
    # Imported here, not at module top, so `simsocial --help` stays fast and each module owns its command.
    from simsocial.cli import analysis_cmds, batch_cmd, run_cmd, scenario_schema_cmd, serve_cmd, viz_cmd

    for module in (serve_cmd, run_cmd, batch_cmd, analysis_cmds, viz_cmd, scenario_schema_cmd):
        module.register(app)
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):
            command.cls = _Command


_register_commands()


def cli() -> None:
    """The console entry point: ``app`` with one clear line instead of a traceback for unexpected errors.

    ``SIMSOCIAL_DEBUG=1`` shows the traceback.  Output a failing ``compare`` had begun is removed first.
    """
    from simsocial.cli.compare_checks import undo_partial_output
    from simsocial.llm.errors import redact

    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last line of defence; SIMSOCIAL_DEBUG re-raises
        undo_partial_output()
        if os.environ.get("SIMSOCIAL_DEBUG"):
            raise
        if isinstance(exc, OSError) and exc.strerror:
            detail = f"{exc.strerror.lower()}: {exc.filename}" if exc.filename else exc.strerror.lower()
        else:
            detail = f"{type(exc).__name__}: {exc}"
        print(f"error: {redact(detail)}", file=sys.stderr)
        print("(unexpected; SIMSOCIAL_DEBUG=1 shows the traceback — please report it)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cli()
