"""One browser session's parameter panel: its values, held where the page can show them.

SolaraViz applies the parameter panel only on Reset, and a Vuetify slider shows its number only while it is
dragged.  So the page shows, beside the panel, each value that was moved and not yet applied, with the
value the running model uses.  To read what the panel shows, each input's value is a reactive variable of
this session (:func:`session_params`); Mesa's inputs are Solara inputs that take a reactive variable as
their value and keep it up to date.  The same reactive variable reaches the model on a Reset of a panel
that was not touched, so the live view's models accept one (:func:`unwrap`).

Everything here is per session: :func:`session_params` is called once per page (``solara.use_memo``), and
a model made from it belongs to that page only.
"""

from __future__ import annotations

from typing import Any

import solara
from mesa import Model


def session_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` (SolaraViz's ``model_params``) with each input's value in a new reactive variable."""
    return {name: ({**spec, "value": solara.reactive(spec["value"])} if _is_input(spec) else spec)
            for name, spec in params.items()}  # fmt: skip


def model_keywords(params: dict[str, Any]) -> dict[str, Any]:
    """The keywords a model is made with from ``params``: each input's value, and the fixed values."""
    return unwrap({name: (spec["value"] if _is_input(spec) else spec) for name, spec in params.items()})


def unwrap(keywords: dict[str, Any]) -> dict[str, Any]:
    """``keywords`` with each reactive variable replaced by its value (SolaraViz's Reset passes an input's
    reactive variable when it was not touched, its new value when it was)."""
    return {name: (value.value if isinstance(value, solara.Reactive) else value) for name, value in keywords.items()}


def pending_changes(params: dict[str, Any], model: Model) -> None:
    """One line naming each input whose shown value differs from the one the running model was made with.

    ``model.made_with``: the keywords the model was made with (see the live view's models).  Text, not
    Markdown: a typed value is shown as typed.
    """
    made_with: dict[str, Any] = model.made_with
    moved = [f"{spec.get('label', name)}: {spec['value'].value} (running: {made_with[name]})"
             for name, spec in params.items()
             if _is_input(spec) and str(spec["value"].value) != str(made_with[name])]  # fmt: skip
    if moved:
        solara.Text("applies on Reset, " + "; ".join(moved), style={"color": "#b35900"})
    else:
        solara.Text("the panel's values are the running model's (change a value, then Reset)")


def _is_input(spec: object) -> bool:
    return isinstance(spec, dict) and "type" in spec  # Mesa's test for a user-adjustable parameter
