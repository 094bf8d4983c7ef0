"""Names shared by MovieLensExampleGen's modules and its users.

The settings' names are the fields of ``settings.Settings``; the component
spec is in ``component.py``.
"""

# Output channels.
EXAMPLES_KEY = "examples"
CANDIDATES_KEY = "candidates"

# The span: a setting (``Settings.span``, which the driver resolves) and a
# property of both output artifacts.
SPAN_KEY = "span"
# Set by the driver: what the run reads, so caching notices changed data.
FINGERPRINT_KEY = "input_fingerprint"

# Sources.
SOURCE_GROUPLENS = "grouplens"
SOURCE_TFDS = "tfds"
SOURCE_SYNTHETIC = "synthetic"
SOURCES = (SOURCE_GROUPLENS, SOURCE_TFDS, SOURCE_SYNTHETIC)

# Split of the candidates artifact, and the summary file in the examples.
CANDIDATES_SPLIT = "corpus"
SUMMARY_FILE = "example_gen_summary.json"

# Custom properties of the output artifacts.
BAD_ROWS_COUNT_PROPERTY = "bad_rows_count"
BAD_ROWS_SAMPLE_PROPERTY = "bad_rows_sample"
DUPLICATE_RATINGS_COUNT_PROPERTY = "duplicate_ratings_count"
NUM_EXAMPLES_PROPERTY_PREFIX = "num_examples_"
SYNTHETIC_QUALITY_PROPERTY = "synthetic_quality"
SOURCE_PROPERTY = "source"
# The spans read, oldest first, as a JSON list of ``{"span": k, "fingerprint":
# <the span's data>, "examples_key": <its train examples (spans.examples_key)>,
# "train_files": <glob of its files in Split-train>}``.
WINDOW_PROPERTY = "window"

LATEST_SPAN = -1

