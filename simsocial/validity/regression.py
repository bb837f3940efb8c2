"""The two regressions every effects analysis fits, with statsmodels: amount (OLS) and gave > 0 (logistic).

- ``amount``: OLS of the donation in dollars, heteroskedasticity-robust (HC3) standard errors — donations
  are bounded and lumpy, so the classical errors would be too narrow.
- ``gave``: logistic regression of ``donation > 0``; coefficients are log-odds.

A predictor without variance in a sample (every simulated persona high on a trait, a strategy never used)
cannot be estimated there: it is left out of that fit and named in ``note``, its row NaN.  A fit that
cannot be made at all (too few rows, an outcome that never varies, perfect separation) gives NaN rows
and says why — never an error that hides the other fits.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MODELS = ("amount", "gave")
MODEL_TITLES = {"amount": "amount ($, OLS)", "gave": "gave > 0 (log-odds, logistic)"}
ALPHA = 0.05


@dataclass(frozen=True)
class Fit:
    """One regression's coefficients (without the intercept) and their 95% intervals."""

    model: str
    n: int
    coef: pd.Series
    low: pd.Series
    high: pd.Series
    p: pd.Series
    se: pd.Series
    note: str = ""

    def rows(self, source: str) -> list[dict[str, object]]:
        return [{"source": source, "model": self.model, "term": t, "n": self.n, "coef": self.coef[t],
                 "low": self.low[t], "high": self.high[t], "p": self.p[t], "se": self.se[t], "note": self.note}
                for t in self.coef.index]  # fmt: skip


def _empty(model: str, terms: Sequence[str], n: int, note: str) -> Fit:
    nan = pd.Series(np.nan, index=list(terms), dtype=float)
    return Fit(model, n, nan, nan, nan, nan, nan, note)


def _design(frame: pd.DataFrame, terms: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    x = frame[list(terms)].astype(float)
    constant = [t for t in terms if x[t].nunique() < 2]
    return x.drop(columns=constant), constant


def fit(frame: pd.DataFrame, terms: Sequence[str], model: str) -> Fit:
    """Fit ``model`` (``amount`` or ``gave``) of ``frame["donation"]`` on ``terms``; rows with NaN dropped."""
    import statsmodels.api as sm

    data = frame[["donation", *terms]].dropna()
    x, constant = _design(data, terms)
    notes = [f"no variance: {', '.join(constant)}"] if constant else []
    y = data["donation"].to_numpy(float) if model == "amount" else (data["donation"] > 0).to_numpy(float)
    if len(data) <= x.shape[1] + 2 or x.shape[1] == 0:
        return _empty(model, terms, len(data), "; ".join([*notes, f"too few rows ({len(data)})"]))
    if np.unique(y).size < 2:
        return _empty(model, terms, len(data), "; ".join([*notes, "the outcome does not vary"]))
    exog = sm.add_constant(x, has_constant="add")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; failures are caught and reported below
            if model == "amount":
                result = sm.OLS(y, exog).fit(cov_type="HC3")
            else:
                result = sm.Logit(y, exog).fit(disp=0, maxiter=200)
                if not result.mle_retvals.get("converged", True):
                    raise ValueError("did not converge (separation?)")
    except (ValueError, np.linalg.LinAlgError, sm.tools.sm_exceptions.PerfectSeparationError) as exc:
        return _empty(model, terms, len(data), "; ".join([*notes, f"not fitted: {exc}"]))
    ci = result.conf_int(ALPHA)
    index = list(terms)

    def series(values: pd.Series) -> pd.Series:
        return pd.Series(values, dtype=float).drop("const").reindex(index)

    return Fit(model, len(data), series(result.params), series(ci[0]), series(ci[1]), series(result.pvalues),
               series(result.bse), "; ".join(notes))  # fmt: skip


def fit_all(frame: pd.DataFrame, terms: Sequence[str]) -> list[Fit]:
    """Both :data:`MODELS` on one sample."""
    return [fit(frame, terms, model) for model in MODELS]


def coefficients(frame: pd.DataFrame, terms: Sequence[str], model: str) -> pd.Series:
    """Only the coefficients (for the bootstrap), NaN where they cannot be estimated.

    The amount model's coefficients are the OLS ones, by least squares directly (the HC3 errors that
    :func:`fit` adds are not needed here, and the bootstrap refits hundreds of times).
    """
    if model != "amount":
        return fit(frame, terms, model).coef
    data = frame[["donation", *terms]].to_numpy(float)
    data = data[~np.isnan(data).any(axis=1)]
    varies = np.ptp(data[:, 1:], axis=0) > 0 if len(data) else np.zeros(len(terms), dtype=bool)
    out = np.full(len(terms), np.nan)
    if len(data) <= varies.sum() + 2 or not varies.any():
        return pd.Series(out, index=list(terms), dtype=float)
    design = np.column_stack([np.ones(len(data)), data[:, 1:][:, varies]])
    solution, *_ = np.linalg.lstsq(design, data[:, 0], rcond=None)
    out[varies] = solution[1:]
    return pd.Series(out, index=list(terms), dtype=float)


def minimum_detectable(fit_: Fit) -> float:
    """The smallest effect found 80% of the time at α = 0.05: (1.96 + 0.84) × the median standard error."""
    se = fit_.se.dropna()
    return float(2.8 * se.median()) if len(se) else float("nan")
