"""Verbalized Sampling core: prompts per method, tolerant parsing and repair, seeded sampling.

Pure functions and small value objects; knows nothing of Mesa or HTTP.
"""

from simsocial.vs.combine import combine_answers
from simsocial.vs.distribution import Candidate, VerbalizedDistribution
from simsocial.vs.fields import AmountField, CandidateField, LabelField, format_amount
from simsocial.vs.methods import KNOBS, ROLES, Method, MethodConfig, Selection
from simsocial.vs.parsing import VSParseError, parse_distribution
from simsocial.vs.prompts import CallSpec, Plan, Query, first_user_message, plan

__all__ = [
    "KNOBS",
    "ROLES",
    "AmountField",
    "CallSpec",
    "Candidate",
    "CandidateField",
    "LabelField",
    "Method",
    "MethodConfig",
    "Plan",
    "Query",
    "Selection",
    "VSParseError",
    "VerbalizedDistribution",
    "combine_answers",
    "first_user_message",
    "format_amount",
    "parse_distribution",
    "plan",
]
