"""Search strategies, one module each, named after the strategy (``strategy="suffice"`` is
:mod:`suffice.search.strategies.suffice`).  :mod:`suffice.search.explain` registers them."""
