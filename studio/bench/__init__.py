"""Benchmarks behind `studio bench`: models x backends x resolutions, and the live pipeline."""
