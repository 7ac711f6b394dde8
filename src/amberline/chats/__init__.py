"""Conversations: chat logs screened for grooming and sextortion, early, with evidence.

A conversation is a sequence of messages with authors. The same principles as for ads apply:
streaming ingest with a quarantine (`ingest`), indicators as data with a citation per entry
(`lexicon.toml`, matched by the shared `IndicatorMatcher` in `rules`), an optional learned,
calibrated model beside the rules (`model`), and one screening function that returns every flag
with its message, offsets and rule (`screen`). `synth` writes the clinical demo corpus.
"""
