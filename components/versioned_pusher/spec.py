"""Keys of VersionedPusher, shared by every module.

The component reuses TFX's ``PusherSpec`` unchanged (same channels and
parameters as TFX's Pusher); the keys below are TFX's own.
"""

from tfx.types import standard_component_specs

# Channels and parameters (TFX's PusherSpec).
MODEL_KEY = standard_component_specs.MODEL_KEY  # "model"
MODEL_BLESSING_KEY = standard_component_specs.MODEL_BLESSING_KEY  # "model_blessing"
INFRA_BLESSING_KEY = standard_component_specs.INFRA_BLESSING_KEY  # "infra_blessing"
PUSH_DESTINATION_KEY = standard_component_specs.PUSH_DESTINATION_KEY  # "push_destination"
CUSTOM_CONFIG_KEY = standard_component_specs.CUSTOM_CONFIG_KEY  # "custom_config"
PUSHED_MODEL_KEY = standard_component_specs.PUSHED_MODEL_KEY  # "pushed_model"

# Custom properties of the PushedModel artifact, as TFX's Pusher executor sets
# them (tfx/components/pusher/executor.py), plus the base directory.
PUSHED_PROPERTY = "pushed"
PUSHED_DESTINATION_PROPERTY = "pushed_destination"
PUSHED_VERSION_PROPERTY = "pushed_version"
PUSH_BASE_DIRECTORY_PROPERTY = "push_base_directory"

# The file TF Serving (and TFX) treat as "this version is complete".
SAVED_MODEL_FILE = "saved_model.pb"
VARIABLES_INDEX_FILE = "variables/variables.index"
# Prefix of the staging folders beside the versions. TF Serving only loads
# folders named by an integer, so it never looks into these.
STAGING_PREFIX = ".tmp-"
