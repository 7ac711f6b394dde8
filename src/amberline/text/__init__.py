"""Text stage of the pipeline: normalisation with an exact map back to the ad as written."""

from amberline.text.normalise import NormalisedText, normalise, normalise_batch

__all__ = ["NormalisedText", "normalise", "normalise_batch"]
