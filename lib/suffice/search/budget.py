"""The model-call ceiling of one explanation, and the adaptive policy that moves it: the one place it is
written, so that what may be spent, and by whom, is decided here only.

A :class:`Budget` belongs to one :class:`~suffice.search.evaluator.MaskEvaluator`, which counts every
waveform the model evaluates (:meth:`Budget.spend`) and refuses a request past the ceiling before
evaluating anything (:meth:`Budget.check`).  A search either fixes the ceiling (:meth:`Budget.fix`) or
hands it to the adaptive policy (:meth:`Budget.adapt`): the ceiling starts at its floor and is raised
(:meth:`Budget.want`) as the search learns what it needs, never above its top, except while
:meth:`Budget.verifying` extends the top for a 1-minimality pass.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator


class BudgetExhausted(RuntimeError):
    """A request would take the model past the ceiling (nothing of it was evaluated)."""


class Budget:
    """Model calls spent, the ceiling on them (``cap``, None: none) and the adaptive bounds."""

    def __init__(self, cap: int | None = None) -> None:
        self.spent = 0                       # waveforms evaluated by the model
        self.cap = None if cap is None else int(cap)
        self.adaptive = False
        self.low = self.high = self.verify_high = 0

    # ---- counting and enforcing -----------------------------------------------------------------
    @property
    def remaining(self) -> float:
        """Model calls still allowed (``inf`` without a ceiling)."""
        return float("inf") if self.cap is None else max(0, self.cap - self.spent)

    def check(self, n_new: int) -> None:
        """Raise :class:`BudgetExhausted` when ``n_new`` more calls would pass the ceiling."""
        if n_new > self.remaining:
            raise BudgetExhausted(f"{n_new} new masks, {self.remaining:g} model calls left")

    def spend(self, n: int) -> None:
        self.spent += int(n)

    def fitting(self, cost: Callable[[int], int], n: int, reserve: int = 0) -> int:
        """Largest ``r <= n`` whose first ``r`` requests cost (``cost(r)`` new calls) at most
        ``remaining - reserve``; with nothing left, ``n`` when they cost nothing, else 0."""
        limit = self.remaining - reserve
        if limit <= 0:
            return 0 if cost(n) else n
        if cost(n) <= limit:
            return n
        lo, hi = 0, n
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if cost(mid) <= limit:
                lo = mid
            else:
                hi = mid
        return lo

    # ---- setting the ceiling ----------------------------------------------------------------------
    def fix(self, cap: int | None) -> None:
        """A fixed ceiling (None: none); the adaptive policy is off."""
        self.cap, self.adaptive = (None if cap is None else int(cap)), False

    def adapt(self, low: int, high: int, verify_high: int) -> None:
        """The adaptive policy: the ceiling starts at ``low`` and :meth:`want` raises it up to ``high``
        (``verify_high`` inside :meth:`verifying`)."""
        self.cap, self.adaptive = int(low), True
        self.low, self.high, self.verify_high = int(low), int(high), int(verify_high)

    def want(self, extra_calls: float) -> None:
        """Adaptive policy: allow ``extra_calls`` more than spent so far (within its bounds; a fixed
        ceiling stays)."""
        if self.adaptive:
            goal = self.spent + max(0.0, extra_calls)
            self.cap = int(min(self.high, max(self.cap, self.low, goal)))

    @contextmanager
    def verifying(self, projected: int) -> Iterator[None]:
        """Adaptive policy: within the block the top is ``verify_high`` when the calls so far plus
        ``projected`` fit there; afterwards it is back to ``high`` and the ceiling lowered to it (or to
        what was spent), so that nothing after the block gets calls beyond ``high``."""
        top = self.high
        if self.adaptive and self.spent + projected <= self.verify_high:
            self.high = max(top, self.verify_high)
        try:
            yield
        finally:
            if self.high != top:
                self.high = top
                self.cap = min(self.cap, max(top, self.spent))
