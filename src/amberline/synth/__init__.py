"""Synthetic, clinical demo corpus with planted networks and known ground truth.

Why: Amberline can never ship or test on real ads, yet extraction, scoring and linking need a
corpus whose answers are known. `generate` streams ads that look like classified / massage /
personals posts in structure (names, ages, cities, rates, obfuscated phones, handles) with
nothing sexual in them, and records which ads belong to which planted network and why.
"""

from amberline.synth.generate import generate, truth_path, write_corpus
from amberline.synth.truth import CorpusSummary, GroundTruth

__all__ = ["CorpusSummary", "GroundTruth", "generate", "truth_path", "write_corpus"]
