"""HTTP service over the inference core (a later issue)."""
