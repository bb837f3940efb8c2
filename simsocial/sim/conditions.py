"""Experimental conditions: which method each choice (persuader, persuadee, donation) uses.

A condition string is either one method for every role (``"vs_standard"``) or per-role assignments
(``"persuader=direct,persuadee=vs_cot"``; roles not named keep the scenario's method; ``donation``
defaults to the persuadee's).  Knobs (k, tail threshold, ...) come from the scenario's role settings and
can be overridden for all roles at once.
"""

from __future__ import annotations

from typing import Any

from simsocial.sim.dialogue import Condition
from simsocial.sim.scenario import Scenario
from simsocial.vs import ROLES, Method, MethodConfig
from simsocial.vs.methods import DEFAULT_K

__all__ = ["ROLES", "check_protocol", "make_condition", "parse_condition", "scenario_condition", "with_method"]


def with_method(base: MethodConfig, method: Method | str, **knobs: Any) -> MethodConfig:
    """``base``'s knobs with another method; knobs that do not apply to it are dropped, not errors."""
    method = Method(method)
    data = base.model_dump() | {k: v for k, v in knobs.items() if v is not None} | {"method": method}
    if not method.verbalizes_probabilities:
        data["tail_threshold"] = None
    if knobs.get("selection") is None and method.verbalizes_probabilities != base.method.verbalizes_probabilities:
        # An inherited pick made for the other family (VS: probability, baselines: uniform) falls back to the
        # new method's own default, so "persuadee=direct" on a VS scenario is plain "direct".
        data["selection"] = None
    if data.get("k") is None and method in (Method.MULTI_TURN, Method.VS_MULTI):
        data["k"] = DEFAULT_K
    return MethodConfig.model_validate(data)


def check_protocol(scenario: Scenario, condition: Condition) -> Condition:
    """``condition`` if the scenario's protocol can run it; ValueError naming the role otherwise.

    Under ``protocol: paper`` the persuader is always Direct ("Persuader turn - always use direct
    generation", verbalized_sampling 0.1.3 tasks/dialogue/base.py:173-177): the paper has no other
    persuader prompt, so another method would silently run the Direct one.
    """
    if scenario.paper_protocol and condition.persuader.method != Method.DIRECT:
        raise ValueError(f"condition {condition.label!r}: under protocol: paper the persuader is always direct "
                         f"(got persuader={condition.persuader.method.value}); use persuadee=METHOD")  # fmt: skip
    return condition


def scenario_condition(scenario: Scenario) -> Condition:
    """The condition the scenario file itself describes."""
    return check_protocol(
        scenario, _condition(scenario.persuader.method, scenario.persuadee.method, scenario.donation_method)
    )


def parse_condition(spec: str, scenario: Scenario, **knobs: Any) -> Condition:
    """A condition from a ``--method`` value (see module doc); raises ValueError naming the bad part."""
    configs = {
        "persuader": scenario.persuader.method,
        "persuadee": scenario.persuadee.method,
        "donation": scenario.donation.method,
    }
    spec = spec.strip()
    if "=" not in spec:
        assignments = {role: spec for role in ROLES}
    else:
        assignments = {}
        for part in spec.split(","):
            role, _, method = part.partition("=")
            role, method = role.strip(), method.strip()
            if role not in ROLES:
                raise ValueError(f"--method {spec!r}: unknown role {role!r} (use {', '.join(ROLES)})")
            assignments[role] = method
    for role, method in assignments.items():
        if method not in {m.value for m in Method}:
            raise ValueError(f"--method {spec!r}: unknown method {method!r} (use {', '.join(m.value for m in Method)})")
        configs[role] = with_method(configs[role] or configs["persuadee"], method, **knobs)
    if knobs and any(v is not None for v in knobs.values()):
        configs = {role: with_method(cfg, cfg.method, **knobs) if cfg else None for role, cfg in configs.items()}
    donation = configs["donation"] or configs["persuadee"]
    return check_protocol(scenario, _condition(configs["persuader"], configs["persuadee"], donation))


def make_condition(persuader: MethodConfig, persuadee: MethodConfig, donation: MethodConfig) -> Condition:
    """A condition from one config per role, labelled as :func:`parse_condition` labels it."""
    return _condition(persuader, persuadee, donation)


def _condition(persuader: MethodConfig, persuadee: MethodConfig, donation: MethodConfig) -> Condition:
    labels = {persuader.label(), persuadee.label(), donation.label()}
    if len(labels) == 1:
        label = labels.pop()
    else:
        label = f"persuader={persuader.label()},persuadee={persuadee.label()}"
        if donation.label() != persuadee.label():
            label += f",donation={donation.label()}"
    return Condition(label, persuader, persuadee, donation)
