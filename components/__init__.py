"""Custom TFX components for the MovieLens retrieval pipeline."""
