"""ValidationGate: stops the run when ExampleValidator found anomalies.

ExampleValidator only records anomalies; this component reads them and fails
with a message naming each anomalous feature, so nothing downstream (Transform,
Trainer, Pusher) runs on data that does not match the curated schema.
"""

import os
from typing import List

from tensorflow_data_validation.utils import anomalies_util
from tfx.components.example_validator.executor import DEFAULT_FILE_NAME as ANOMALIES_FILE
from tfx.dsl.component.experimental.annotations import InputArtifact
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils, standard_artifacts



class DataValidationError(RuntimeError):
    """The examples do not match the schema."""


def describe_anomalies(anomalies_uri: str, splits: List[str]) -> List[str]:
    """Lists the anomalies recorded by ExampleValidator.

    Args:
      anomalies_uri: The ExampleAnomalies artifact's URI.
      splits: Its split names.

    Returns:
      One line per anomaly: ``split: feature 'name': description``.
    """
    lines = []
    for split in splits:
        path = os.path.join(anomalies_uri, f"Split-{split}", ANOMALIES_FILE)
        anomalies = anomalies_util.load_anomalies_binary(path)
        for feature, info in sorted(anomalies.anomaly_info.items()):
            lines.append(f"{split}: feature '{feature}': {info.description}")
        for info in anomalies.dataset_anomaly_info.reason:
            lines.append(f"{split}: dataset: {info.description}")
    return lines


@component
def ValidationGate(  # pylint: disable=invalid-name
    anomalies: InputArtifact[standard_artifacts.ExampleAnomalies],
) -> None:
    """Fails when ExampleValidator recorded any anomaly.

    Args:
      anomalies: ExampleValidator's output.

    Raises:
      DataValidationError: Listing every anomaly, split and feature named.
    """
    found = describe_anomalies(anomalies.uri, artifact_utils.decode_split_names(anomalies.split_names))
    if found:
        raise DataValidationError(
            "Data validation failed; training stopped before Transform. Anomalies:\n  "
            + "\n  ".join(found)
        )
