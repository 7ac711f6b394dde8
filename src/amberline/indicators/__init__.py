"""indicators stage of the pipeline."""
