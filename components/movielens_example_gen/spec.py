"""Keys and component spec of MovieLensExampleGen, shared by every module."""

from tfx import types
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

# Output channels.
EXAMPLES_KEY = "examples"
CANDIDATES_KEY = "candidates"

# Execution parameters.
SOURCE_KEY = "source"
INPUT_PATH_KEY = "input_path"
TFDS_NAME_KEY = "tfds_name"
TFDS_DATA_DIR_KEY = "tfds_data_dir"
TFDS_DOWNLOAD_KEY = "tfds_download"
SYNTHETIC_CONFIG_KEY = "synthetic_config"
SPLIT_MODE_KEY = "split_mode"
EVAL_FRACTION_KEY = "eval_fraction"
MAX_BAD_ROWS_KEY = "max_bad_rows"
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
NUM_EXAMPLES_PROPERTY_PREFIX = "num_examples_"
SYNTHETIC_QUALITY_PROPERTY = "synthetic_quality"
SOURCE_PROPERTY = "source"

LATEST_SPAN = -1


class MovieLensExampleGenSpec(types.ComponentSpec):
    """Parameters and outputs of MovieLensExampleGen."""

    PARAMETERS = {
        SOURCE_KEY: ExecutionParameter(type=str),
        INPUT_PATH_KEY: ExecutionParameter(type=str, optional=True),
        TFDS_NAME_KEY: ExecutionParameter(type=str, optional=True),
        TFDS_DATA_DIR_KEY: ExecutionParameter(type=str, optional=True),
        TFDS_DOWNLOAD_KEY: ExecutionParameter(type=int, optional=True),
        SYNTHETIC_CONFIG_KEY: ExecutionParameter(type=str, optional=True),
        SPLIT_MODE_KEY: ExecutionParameter(type=str),
        EVAL_FRACTION_KEY: ExecutionParameter(type=float),
        MAX_BAD_ROWS_KEY: ExecutionParameter(type=int),
        SPAN_KEY: ExecutionParameter(type=int),
    }
    INPUTS = {}
    OUTPUTS = {
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        CANDIDATES_KEY: ChannelParameter(type=standard_artifacts.Examples),
    }
