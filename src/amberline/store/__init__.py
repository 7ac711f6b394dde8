"""store stage of the pipeline."""
