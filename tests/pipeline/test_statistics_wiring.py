"""StatisticsGen's options in ``create_pipeline`` (pure: nothing runs)."""

import json

from tfx.components import StatisticsGen

from components import record_batches
from pipeline import config as config_lib
from pipeline.pipeline import create_pipeline


def test_statistics_are_computed_over_record_batches_of_the_set_size(tmp_path):
    pipeline = create_pipeline(
        config_lib.PipelineConfig(
            pipeline_name="statistics",
            pipeline_root=str(tmp_path / "root"),
            push_destination=str(tmp_path / "serving"),
        )
    )
    (statistics_gen,) = [c for c in pipeline.components if isinstance(c, StatisticsGen)]
    options = json.loads(statistics_gen.exec_properties["stats_options_json"])
    assert options["_desired_batch_size"] == record_batches.EXAMPLES_PER_RECORD_BATCH
