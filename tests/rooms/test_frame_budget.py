"""The per-connection frame budget: a fixed one-minute window, counted in-process."""

from __future__ import annotations

from rooms.rate_limits import FrameBudget


def test_the_budget_allows_exactly_the_limit_per_window():
    """Ten per minute: the eleventh frame in the window is refused."""
    budget = FrameBudget(10)
    assert all(budget.take(100.0 + i) for i in range(10))
    assert not budget.take(110.0)


def test_a_new_window_restores_the_budget():
    """Sixty seconds after the window opened, the count starts again."""
    budget = FrameBudget(2)
    assert budget.take(0.0)
    assert budget.take(1.0)
    assert not budget.take(59.9)
    assert budget.take(60.0)
