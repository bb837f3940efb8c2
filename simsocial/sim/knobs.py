"""Which knobs a method actually uses, and command-line knobs applied to any condition.

A :class:`~simsocial.vs.MethodConfig` carries every knob (``k``, ``calls``, ...) whatever its method; a
manifest that says ``direct`` ran with ``k: 5, calls: 2`` misleads whoever reads it.  :func:`used_knobs`
keeps only what changes the method's calls or its draw.
"""

from __future__ import annotations

from typing import Any

from simsocial.sim.conditions import make_condition, with_method
from simsocial.sim.dialogue import Condition
from simsocial.vs import ROLES, Method, MethodConfig

_ALWAYS = ("method", "temperature", "top_p", "max_tokens")
_LIST = ("k", "selection")  # methods that draw among several candidates
_EXTRA: dict[Method, tuple[str, ...]] = {
    Method.DIRECT: (),
    Method.SEQUENCE: _LIST,
    Method.MULTI_TURN: _LIST,
    Method.VS_STANDARD: (*_LIST, "tail_threshold"),
    Method.VS_COT: (*_LIST, "tail_threshold"),
    Method.VS_MULTI: (*_LIST, "tail_threshold", "calls"),
}


def used_knobs(config: MethodConfig) -> dict[str, Any]:
    """The method and the knobs it uses, as JSON values (``selection`` resolved to the one applied)."""
    data = config.model_dump(mode="json")
    used = {name: data[name] for name in (*_ALWAYS, *_EXTRA[config.method])}
    if used.get("top_p") is None:
        used.pop("top_p", None)  # only listed when set: most runs leave nucleus sampling to the server
    if "selection" in used:
        used["selection"] = config.effective_selection
    return used


def condition_record(condition: Condition) -> dict[str, Any]:
    """A condition as ``run.json`` lists it: its label and, per role, the knobs its method uses."""
    return {"label": condition.label, **{role: used_knobs(getattr(condition, role)) for role in ROLES}}


def apply_knobs(condition: Condition, **knobs: Any) -> Condition:
    """``condition`` with the given knobs (``None`` = keep) set on every role whose method uses them."""
    if all(v is None for v in knobs.values()):
        return condition
    configs = []
    for role in ROLES:
        config: MethodConfig = getattr(condition, role)
        applicable = {k: v for k, v in knobs.items() if k in used_knobs(config)}
        configs.append(with_method(config, config.method, **applicable))
    return make_condition(*configs)
