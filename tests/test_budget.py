"""The model-call budget (:mod:`suffice.search.budget`): its ceiling, its fitting and its adaptive policy."""
import pytest

from suffice.search.budget import Budget, BudgetExhausted


def test_a_request_past_the_ceiling_is_refused_and_fitting_finds_what_fits():
    b = Budget(10)
    b.spend(7)
    assert b.remaining == 3
    with pytest.raises(BudgetExhausted):
        b.check(4)
    b.check(3)
    assert b.fitting(lambda r: r, 5) == 3 and b.fitting(lambda r: r, 2) == 2
    assert b.fitting(lambda r: r, 5, reserve=1) == 2
    b.spend(3)
    assert b.fitting(lambda r: r, 5) == 0 and b.fitting(lambda r: 0, 5) == 5   # cached requests are free
    assert Budget().remaining == float("inf")


def test_the_adaptive_policy_raises_within_its_bounds_and_the_verifying_top_is_given_back():
    b = Budget()
    b.adapt(100, 150, 250)
    b.spend(90)
    b.want(5)
    assert b.cap == 100                  # never below the floor
    b.want(500)
    assert b.cap == 150                  # never above the top
    with b.verifying(projected=100):     # 90 + 100 fits 250: the top is raised inside the block
        b.want(500)
        assert b.cap == 250
        b.spend(110)
    assert b.high == 150 and b.cap == 200    # back to the top, or to what was spent
    with b.verifying(projected=100):     # 200 + 100 does not fit 250: no extension
        b.want(500)
        assert b.cap == 150 and b.remaining == 0    # spent past the top: nothing more
    b.fix(40)
    b.want(500)
    assert b.cap == 40 and not b.adaptive    # a fixed ceiling stays
