"""The budget gate on its own (simsocial.llm.budget): what it admits, in which order it releases reservations,
that it stays stopped, both limits, many threads at once, and estimates that undershoot.  Pure Python: the
spending is a counter the test moves, as CallStats moves it during a run."""

from __future__ import annotations

import threading
import time

import pytest

from simsocial.llm.budget import Budget, BudgetGate, Cost


class Spending:
    """What the endpoint has spent so far (calls, tokens); the test plays the endpoint."""

    def __init__(self, switch_threads: bool = False) -> None:
        self.calls = 0
        self.tokens = 0
        self.switch_threads = switch_threads

    def __call__(self) -> tuple[int, int]:
        if self.switch_threads:  # hand the GIL over mid-check, so an unlocked check-then-reserve would race
            time.sleep(0.0005)
        return self.calls, self.tokens


def gate(max_calls: int | None = None, max_tokens: int | None = None) -> tuple[BudgetGate, Spending]:
    spent = Spending()
    return BudgetGate(Budget(max_calls, max_tokens), spent), spent


def test_budget_describes_its_limits() -> None:
    assert Budget().describe() == "no limit" and not Budget().limited
    assert Budget(max_calls=5).describe() == "5 calls" and Budget(max_calls=5).limited
    assert Budget(max_tokens=9).describe() == "9 tokens" and Budget(max_tokens=9).limited
    assert Budget(5, 9).describe() == "5 calls / 9 tokens"
    assert Budget(max_calls=0).limited  # a zero limit is a limit, not "none"


def test_admits_up_to_the_limit_exactly_and_then_stops() -> None:
    g, spent = gate(max_calls=10)
    assert g.stopped is False and g.admitted == 0
    # 5 + 5 = 10 fits; a third 5 does not fit beside the 10 in flight: "not yet" (they may be answered from the
    # cache and spend nothing), and the gate stays open
    assert [g.admit("run", Cost(5, 0)) for _ in range(3)] == [True, True, None]
    assert g.admitted == 2 and not g.stopped
    g.finished("run", 2)
    spent.calls = 10  # they did spend their 10: now it is a "no", and the gate closes
    assert g.admit("run", Cost(5, 0)) is False and g.stopped and g.admitted == 2


def test_in_flight_units_count_at_their_whole_estimate() -> None:
    g, spent = gate(max_calls=10)
    assert g.admit("run", Cost(6, 0))
    spent.calls = 1  # the first unit has spent 1 of its 6: still reserved at 6, not 1 + 6
    assert g.admit("run", Cost(4, 0)) is None


def test_spending_counts_beside_the_reservations() -> None:
    g, spent = gate(max_calls=10)
    assert g.admit("run", Cost(3, 0))
    g.finished("run", 1)
    spent.calls = 3
    assert g.admit("run", Cost(7, 0))  # 3 spent + 7 = 10
    g.finished("run", 1)
    spent.calls = 10
    assert not g.admit("run", Cost(1, 0))


def test_finished_releases_the_oldest_reservation_first() -> None:
    g, _ = gate(max_calls=10)
    assert g.admit("run", Cost(5, 0)) and g.admit("run", Cost(2, 0))
    g.finished("run", 1)  # the 5 goes; the 2 stays reserved
    assert g.admit("run", Cost(8, 0))  # 2 + 8 = 10: fits only if the oldest (5) was the one released


def test_finished_releases_only_its_own_account() -> None:
    g, _ = gate(max_calls=10)
    assert g.admit("cell-a", Cost(6, 0)) and g.admit("cell-b", Cost(1, 0))
    g.finished("cell-b", 1)
    assert g.admit("cell-b", Cost(5, 0)) is None  # cell-a's 6 is still reserved: 6 + 5 > 10, not yet


def test_finished_beyond_what_is_reserved_is_harmless() -> None:
    g, _ = gate(max_calls=4)
    g.finished("never-admitted", 3)
    assert g.admit("run", Cost(2, 0))
    g.finished("run", 5)  # more than admitted: releases what there is
    assert g.admit("run", Cost(4, 0))


def test_once_refused_it_stays_stopped_for_every_account() -> None:
    g, spent = gate(max_calls=10)
    assert g.admit("cell-a", Cost(4, 0))
    g.finished("cell-a", 1)
    spent.calls = 4
    assert g.admit("cell-a", Cost(7, 0)) is False  # 4 really spent + 7 > 10: refused
    spent.calls = 0  # even with nothing spent and nothing reserved
    assert not g.admit("cell-a", Cost(1, 0)) and not g.admit("cell-b", Cost(0, 0))
    assert g.stopped and g.admitted == 1


@pytest.mark.parametrize(
    ("budget", "cost", "fits"),
    [
        (Budget(max_calls=10), Cost(10, 10**9), True),  # tokens are not limited
        (Budget(max_tokens=100), Cost(10**9, 100), True),  # calls are not limited
        (Budget(max_calls=10, max_tokens=100), Cost(10, 100), True),
        (Budget(max_calls=10, max_tokens=100), Cost(11, 100), False),  # calls over, tokens within
        (Budget(max_calls=10, max_tokens=100), Cost(10, 101), False),  # tokens over, calls within
        (Budget(max_calls=0), Cost(1, 0), False),
        (Budget(max_calls=0), Cost(0, 0), True),  # a unit expected to spend nothing always fits
    ],
)
def test_each_limit_applies_on_its_own(budget: Budget, cost: Cost, fits: bool) -> None:
    g = BudgetGate(budget, Spending())
    assert g.admit("run", cost) is fits
    assert g.stopped is not fits


def test_tokens_already_spent_count_against_the_token_limit() -> None:
    g, spent = gate(max_calls=100, max_tokens=1000)
    spent.tokens = 900
    assert not g.admit("run", Cost(1, 101))


def test_estimates_that_undershoot_stop_the_gate_at_the_next_admission() -> None:
    # Units estimated at 2 calls that really make 4: the reservations hold while they run (the gate cannot
    # know), so the spending may pass the limit by what the in-flight units overspend — but no unit is
    # admitted once the real spending shows it.
    g, spent = gate(max_calls=10)
    assert [g.admit("run", Cost(2, 0)) for _ in range(5)] == [True] * 5  # 5 x 2 = 10 reserved
    spent.calls = 3 * 4  # three of them finished, having spent 4 each
    g.finished("run", 3)
    assert spent.calls > 10  # crossed: the limit only holds for estimates that hold
    assert not g.admit("run", Cost(2, 0)) and g.stopped
    assert g.admitted == 5


def test_threads_admitting_at_once_never_reserve_past_the_limit() -> None:
    g = BudgetGate(Budget(max_calls=50), Spending(switch_threads=True))
    start = threading.Barrier(8)
    admitted: list[bool] = []
    lock = threading.Lock()

    def worker(account: str) -> None:
        start.wait()
        for _ in range(20):
            ok = g.admit(account, Cost(1, 0))
            with lock:
                admitted.append(ok)

    threads = [threading.Thread(target=worker, args=(f"cell-{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert admitted.count(True) == g.admitted == 50  # exactly the limit: no lost update, no overshoot
    # the rest wait for the 50 in flight (nothing was spent yet): "not yet", and the gate stays open
    assert admitted.count(None) == 8 * 20 - 50 and not g.stopped


def test_token_reservations_of_every_in_flight_unit_add_up() -> None:
    g, spent = gate(max_tokens=100)
    assert g.admit("cell-a", Cost(0, 30)) and g.admit("cell-b", Cost(0, 30)) and g.admit("cell-a", Cost(0, 30))
    assert g.admit("cell-b", Cost(0, 11)) is None  # 90 reserved over two accounts + 11 > 100: not yet
    assert g.stopped is False
    g.finished("cell-a", 2)
    g.finished("cell-b", 1)
    spent.tokens = 90  # what they really spent
    assert g.admit("cell-b", Cost(0, 11)) is False and g.stopped is True  # a refusal closes the gate
