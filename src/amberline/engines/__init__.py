"""engines stage of the pipeline."""
