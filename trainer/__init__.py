"""Two-tower retrieval trainer built from the tf.Transform output.

TensorFlow Recommenders and tf.Transform's Keras layer need Keras 2
(``tf-keras``): set ``TF_USE_LEGACY_KERAS=1`` before TensorFlow is imported.
"""

import os
import sys

if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError(
        "trainer needs Keras 2: set TF_USE_LEGACY_KERAS=1 before TensorFlow is "
        "first imported (the scripts, tests and container image do)."
    )
os.environ["TF_USE_LEGACY_KERAS"] = "1"
