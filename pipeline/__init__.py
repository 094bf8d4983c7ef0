"""The MovieLens retrieval pipeline: definition, runners and command line."""

import os

# TFRS and tf.Transform's Keras layer need Keras 2; this must precede the
# first TensorFlow import, which TFX performs as soon as it is imported.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TensorFlow's C++ start-up notices; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
