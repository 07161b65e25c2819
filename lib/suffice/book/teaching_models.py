"""Toy models the teaching chapter's exercises use, beside the ones in :mod:`suffice.toys`."""
from __future__ import annotations

from ..toys import BandEnergyClassifier


class BandModel(BandEnergyClassifier):
    """A band-energy model (``lo``-``hi`` Hz, in-band RMS 0.04) that speaks the deepfake task's labels
    ("band present" = bonafide), so that a transfer study can run on it."""

    labels = ("bonafide", "spoof")

    def __init__(self, name: str, lo: float, hi: float) -> None:
        super().__init__(lo, hi, min_rms=0.04, name=name)

    def identity(self) -> str:
        """What a study's cache keys the model on (without it the study warns that a changed model under
        the same name would be served old results)."""
        return f"{self.name}: band {self.low:g}-{self.high:g} Hz, min_rms {self.min_rms:g}"
