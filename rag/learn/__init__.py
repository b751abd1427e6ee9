"""Training of the models the pipeline ships (needs torch and transformers; never imported at
query time)."""
