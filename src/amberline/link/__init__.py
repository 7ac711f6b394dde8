"""link stage of the pipeline."""
