"""``simsocial scenario-schema``: the JSON Schema of scenario files, for editors and validators.

Exported from the pydantic models scenarios are validated with (:mod:`simsocial.sim.scenario`), so the schema
and ``simsocial run``'s own checks cannot drift apart.  docs/scenarios.md shows how an editor uses it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario YAML file."""
    from simsocial.sim.scenario import Scenario  # imported when asked: `simsocial --help` stays light

    schema = Scenario.model_json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": "simsocial scenario"}


def scenario_schema(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the schema to this file [default: print it]", show_default=False),
    ] = None,
) -> None:
    """Print the JSON Schema of scenario YAML files (for editors: docs/scenarios.md)."""
    text = json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text)
    except OSError as exc:
        typer.echo(f"error: --out {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {out}", err=True)


def register(app: typer.Typer) -> None:
    app.command("scenario-schema")(scenario_schema)
