"""Figures and players for the book.  Import the sub-module you need:

- :mod:`suffice.plotting.audio`: one explanation: original vs sufficient signal as audio players
  (small static .wav files) and figures (spectrum with the kept bins, responsibility map, waveforms
  and spectrograms).
- :mod:`suffice.plotting.transfer`, :mod:`suffice.plotting.spectral`: transfer matrices and the
  deepfake chapter's spectral statistics.
"""
