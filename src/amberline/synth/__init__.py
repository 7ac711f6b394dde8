"""synth stage of the pipeline."""
