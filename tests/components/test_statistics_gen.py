"""Our StatisticsGen: TFX's executor over the same records, read by TensorFlow's reader."""

import os

import tensorflow_data_validation as tfdv
from tfx.components.statistics_gen import executor as tfx_executor
from tfx.types import standard_artifacts, standard_component_specs
from tfx.utils import json_utils

from components import record_batches, tfrecord_reads
from components.movielens_example_gen import spec as example_gen_spec
from components.statistics_gen import StatisticsGen, executor
from tests.components.example_gen_testing import properties, run_executor

read_records = tfrecord_reads.read_records


def _statistics(executor_class, examples, folder):
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = folder
    options = tfdv.StatsOptions(desired_batch_size=record_batches.EXAMPLES_PER_RECORD_BATCH)
    executor_class().Do(
        {standard_component_specs.EXAMPLES_KEY: [examples]},
        {standard_component_specs.STATISTICS_KEY: [statistics]},
        {
            standard_component_specs.STATS_OPTIONS_JSON_KEY: options.to_json(),
            standard_component_specs.EXCLUDE_SPLITS_KEY: json_utils.dumps([]),
        },
    )
    return {
        split: tfdv.load_stats_binary(os.path.join(folder, f"Split-{split}", "FeatureStats.pb"))
        for split in ("train", "eval")
    }


def test_the_statistics_equal_tfxs_executors(tmp_path, monkeypatch):
    # Beam pickles the reading function: it records the splits it reads in a file.
    log = str(tmp_path / "files_read.txt")

    def recording_read(path):
        with open(log, "a", encoding="utf-8") as out:
            out.write(os.path.basename(os.path.dirname(path)) + "\n")
        return read_records(path)

    def splits_read():
        if not os.path.exists(log):
            return []
        with open(log, encoding="utf-8") as lines:
            return sorted(set(lines.read().split()))

    examples, _ = run_executor(
        str(tmp_path / "example_gen"),
        properties(
            source=example_gen_spec.SOURCE_SYNTHETIC,
            synthetic_config='{"num_ratings": 2000, "seed": 3}',
        ),
    )
    monkeypatch.setattr(tfrecord_reads, "read_records", recording_read)
    ours = _statistics(executor.Executor, examples, str(tmp_path / "ours"))
    assert splits_read() == ["Split-eval", "Split-train"]
    os.remove(log)
    tfxs = _statistics(tfx_executor.Executor, examples, str(tmp_path / "tfx"))
    assert splits_read() == []
    for split in ("train", "eval"):
        (dataset,) = ours[split].datasets
        assert dataset.num_examples > 0
        assert ours[split] == tfxs[split], split


def test_the_component_is_tfxs_with_our_executor():
    assert StatisticsGen.EXECUTOR_SPEC.executor_class is executor.Executor
    assert issubclass(executor.Executor, tfx_executor.Executor)
