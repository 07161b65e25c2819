"""The default strategy's steps, one module each (:mod:`suffice.search.strategies.suffice` runs them):
:mod:`.state` (what one explanation shares), :mod:`.prior`, :mod:`.prune` (with :mod:`.accept`),
:mod:`.verify`, :mod:`.restart` and :mod:`.extend`."""
