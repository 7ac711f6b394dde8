"""Amberline: find likely child sex trafficking and sextortion in online ads.

Data flows one way: ingest → normalise → extract → indicate → link → score → store →
review/report/alert. See `amberline.pipeline` for the screening of one batch of ads.
"""

__version__ = "0.1.0"
