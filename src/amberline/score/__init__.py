"""score stage of the pipeline."""
