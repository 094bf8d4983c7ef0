"""Test configuration shared by the whole suite.

TensorFlow 2.16 defaults to Keras 3, but TensorFlow Recommenders and
tf.Transform's Keras layer need Keras 2 (tf-keras). The switch must happen
before TensorFlow is first imported, so it lives here, at the root.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
