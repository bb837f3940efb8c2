"""``simsocial viz``: a live Mesa (SolaraViz) page over the persuasion model, served on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from simsocial.cli.options import BaseUrl, Gguf, ModelName
from simsocial.llm.endpoint import resolve_endpoint
from simsocial.llm.settings import LLMSettings
from simsocial.sim.scenario import ScenarioError, load_scenario

APP = Path(__file__).resolve().parents[1] / "viz" / "app.py"
CAMPAIGN_APP = APP.with_name("campaign_app.py")  # a scenario with a campaign: section: the network, live
err = Console(stderr=True)


def viz(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/persuasion_for_good.yaml.")],
    base_url: BaseUrl = None,
    model: ModelName = None,
    gguf: Gguf = None,
    port: Annotated[
        int,
        typer.Option(
            min=1,
            max=65535,
            help="Port of the page on 127.0.0.1 (the page checks its Host against it, so 0 is refused).",
        ),
    ] = 8765,
    scripted: Annotated[
        bool, typer.Option(help="Answer from an in-process scripted model (try the page; says nothing).")
    ] = False,
) -> None:
    """Step and play the persuasion model in the browser: latest utterances, stance shares per step, stated
    amounts against the human donations (Mesa's SolaraViz; needs the 'viz' extra)."""
    from simsocial.campaign.config import is_campaign_file, load_campaign

    campaign = is_campaign_file(scenario)
    try:
        load_campaign(scenario) if campaign else load_scenario(scenario)
    except ScenarioError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if base_url and not model:
        raise typer.BadParameter("--model is required with --base-url", param_hint="--model")
    settings: dict[str, object] = {"scenario": str(scenario.resolve()), "scripted": scripted}
    server = None
    if not scripted:
        # One endpoint for every model the page creates (each reset makes a new one): start the embedded
        # server here, once, rather than per model.
        endpoint = resolve_endpoint(LLMSettings(base_url=base_url, model=model, gguf=gguf))
        server = endpoint.server
        settings |= {"base_url": endpoint.base_url, "model": endpoint.model}
    page_app = CAMPAIGN_APP if campaign else APP
    # Solara's server behind a check that only this page on 127.0.0.1 may use it (simsocial/viz/guard.py).
    cmd = [sys.executable, "-m", "simsocial.viz.serve", str(page_app), "--port", str(port)]
    # Solara phones home (usage telemetry) unless told not to; simsocial sends nothing anywhere.
    # Two Solara warnings nobody can act on are kept out of the terminal: its rules-of-hooks check about
    # Mesa's own components (at every start), and the session cookie falling back to samesite=lax on plain
    # http from 127.0.0.1 (at the first page load).  Any other warning or error still shows.
    quiet = "ignore:Cookies with samesite=none require https:UserWarning:solara.server.starlette"
    warnings = ",".join(w for w in (os.environ.get("PYTHONWARNINGS"), quiet) if w)
    env = {**os.environ, "SIMSOCIAL_VIZ": json.dumps(settings), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "SOLARA_CHECK_HOOKS": "off", "PYTHONWARNINGS": warnings}  # fmt: skip
    err.print(f"[green]serving[/] http://127.0.0.1:{port}/ (Ctrl-C stops it)")
    # SIGTERM takes the same clean path as Ctrl-C, so neither the page nor the server outlives us.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    page = subprocess.Popen(cmd, env=env)
    try:
        page.wait()
    except KeyboardInterrupt:
        page.terminate()
        page.wait(timeout=30)
    finally:
        if server is not None:
            server.stop()
    if page.returncode not in (0, -signal.SIGTERM, None):
        raise typer.Exit(page.returncode)


def register(app: typer.Typer) -> None:
    app.command("viz")(viz)
