"""The ``simsocial`` command: one Typer app; each sub-command lives in its own module and registers here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="simsocial",
    help="Social dialogue simulation: Mesa agents that sample every choice from LLM-verbalized distributions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold an API key
)


def _register_commands() -> None:
    # Imported here, not at module top, so `simsocial --help` stays fast and each module owns its command.
    from simsocial.cli import analysis_cmds, batch_cmd, run_cmd, serve_cmd, viz_cmd

    for module in (serve_cmd, run_cmd, batch_cmd, analysis_cmds, viz_cmd):
        module.register(app)


_register_commands()

if __name__ == "__main__":
    app()
