"""TFX's StatisticsGen executor, reading TFRecords with TensorFlow's reader."""

from typing import Any, Dict, List

from tfx import types
from tfx.components.statistics_gen import executor as tfx_statistics_gen_executor

from components import tfrecord_reads


class Executor(tfx_statistics_gen_executor.Executor):
    """Computes statistics as TFX's executor does, over the same records."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Runs TFX's StatisticsGen executor with ``tfrecord_reads`` in place.

        Args:
          input_dict: ``examples`` and, optionally, ``schema``.
          output_dict: ``statistics``.
          exec_properties: ``stats_options_json`` and ``exclude_splits``.
        """
        with tfrecord_reads.tensorflow_record_reads():
            super().Do(input_dict, output_dict, exec_properties)
