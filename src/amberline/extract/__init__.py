"""extract stage of the pipeline."""
