"""Validity beyond one histogram: calibrate on half the human study and test on the other half, and check
*who* gives (trait effects) and *what works* (strategy effects) against the humans.

Modules, each with one job:

- :mod:`~simsocial.validity.samples`    per-dialogue outcomes of the humans and of each simulated cell
- :mod:`~simsocial.validity.split`      the seeded fit / held-out split of the human persuadees
- :mod:`~simsocial.validity.objectives` distances between a simulated and a human sample (the paper's code)
- :mod:`~simsocial.validity.calibrate`  score cells on the fit half, pick one, evaluate every cell held out
- :mod:`~simsocial.validity.search`     an Optuna study whose trials are engine runs
- :mod:`~simsocial.validity.regression` OLS and logistic fits with 95% intervals (statsmodels)
- :mod:`~simsocial.validity.traits`     trait effects: who gives, humans vs each method
- :mod:`~simsocial.validity.strategies` strategy effects: what works, humans vs each method
- :mod:`~simsocial.validity.fidelity`   sign agreement and coefficient correlation, with bootstrap intervals
- :mod:`~simsocial.validity.figures`    the calibration figure and the forest plots
- :mod:`~simsocial.validity.html`       their sections of the HTML report
"""
