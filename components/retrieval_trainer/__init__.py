"""TFX Trainer with the candidate corpus as an extra input."""
