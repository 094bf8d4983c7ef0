"""The MovieLens retrieval pipeline: definition, runners and command line."""

import os

# TFRS and tf.Transform's Keras layer need Keras 2; this must precede the
# first TensorFlow import, which TFX performs as soon as it is imported.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
