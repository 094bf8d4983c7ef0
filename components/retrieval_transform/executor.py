"""RetrievalTransform's executor: TFX's Transform, each span its own cached dataset.

TFX's Transform analyses each input split as one dataset and keys its
analyzer cache by the dataset's file pattern, which changes with every new
Examples artifact. Here the train split is analysed span by span (the
ExampleGen's ``window`` property names each span's files), each span keyed
by the content of its examples (``examples_key``), so a span analysed by an
earlier run is read from that run's cache however its files are named now.
The previous cache is found through a pointer file (``cache_pointer.py``),
not a resolver task. Analysis is tf.Transform's, run by TFX's
``TransformProcessor``; Transform's own statistics and materialisation are
not offered (StatisticsGen describes the raw data, and the Trainer
transforms through the graph).
"""

import dataclasses
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Set

import tensorflow as tf
from tensorflow_transform.beam import analyzer_cache
from tfx import types
from tfx.components.transform import executor as transform_executor
from tfx.components.transform import labels
from tfx.components.util import examples_utils, tfxio_utils
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils

from components import record_batches
from components.movielens_example_gen import spec as example_gen_spec
from components.progress_log import log_progress
from components.retrieval_transform import cache_pointer, spec

# The split analysed (TFX's default); the others are not read.
ANALYZE_SPLIT = "train"
_TEMP_DIR = ".temp_path"


@dataclasses.dataclass(frozen=True)
class AnalysisDataset:
    """One dataset tf.Transform analyses.

    Attributes:
      file_pattern: Its files.
      span: The span it holds, when known.
      key: Its analyzer-cache key (None: TFX's, by file pattern).
    """

    file_pattern: str
    span: Optional[int] = None
    key: Optional[str] = None


def dataset_key(span: int, examples_key: str) -> str:
    """The analyzer-cache key (and cache folder name) of a span's examples.

    Args:
      span: The span.
      examples_key: Its ``examples_key`` (the ExampleGen's window property).

    Returns:
      ``span-<k, 6 digits>-<the key's first 32 hex digits>``.
    """
    return f"span-{span:06d}-{examples_key[:32]}"


def analysis_datasets(examples: types.Artifact) -> List[AnalysisDataset]:
    """The datasets of an Examples artifact's train split, one per span.

    Args:
      examples: The ExampleGen's ``examples``; its ``window`` property lists
        the spans, their files and their examples keys.

    Returns:
      One dataset per span, keyed by its examples; without a ``window``
      property, the whole split as one dataset keyed as TFX keys it.

    Raises:
      ValueError: If the spans' files do not part the split's files (a file
        in no span's or in two spans' pattern), naming the files.
    """
    split_uri = artifact_utils.get_split_uri([examples], ANALYZE_SPLIT)
    if not examples.has_custom_property(example_gen_spec.WINDOW_PROPERTY):
        return [AnalysisDataset(io_utils.all_files_pattern(split_uri))]
    datasets = [
        AnalysisDataset(
            os.path.join(split_uri, entry["train_files"]),
            entry["span"],
            dataset_key(entry["span"], entry["examples_key"]),
        )
        for entry in json.loads(examples.get_string_custom_property(example_gen_spec.WINDOW_PROPERTY))
    ]
    _check_datasets_part_the_split(split_uri, datasets)
    return datasets


def _check_datasets_part_the_split(split_uri: str, datasets: List[AnalysisDataset]) -> None:
    every_file = set(tf.io.gfile.glob(os.path.join(split_uri, "*")))
    claimed: Dict[str, int] = {}
    for dataset in datasets:
        for path in tf.io.gfile.glob(dataset.file_pattern):
            if path in claimed:
                raise ValueError(
                    f"{path} is in the files of spans {claimed[path]} and {dataset.span} "
                    f"(examples' window property)"
                )
            claimed[path] = dataset.span
    unclaimed = sorted(every_file - set(claimed))
    if unclaimed:
        raise ValueError(
            f"{len(unclaimed)} file(s) of {split_uri} belong to no span of the examples' "
            f"window property, e.g. {unclaimed[0]}: they would not be analysed"
        )


class _SpanKeyedProcessor(transform_executor.TransformProcessor):
    """TFX's TransformProcessor with the analysed datasets keyed as given.

    It also analyses examples in batches of ``EXAMPLES_PER_RECORD_BATCH``
    where TFX leaves the size to Beam (``record_batches.py``).

    Attributes:
      cached_keys: After ``Transform``, the keys of datasets read from the
        cache rather than analysed.
    """

    def __init__(self, dataset_keys: Mapping[str, str]):
        """Builds the processor.

        Args:
          dataset_keys: File pattern to analyzer-cache key; other datasets
            keep TFX's key.
        """
        self._dataset_keys = dict(dataset_keys)
        self.cached_keys: Set[str] = set()

    def _MakeDatasetList(self, *args: Any, **kwargs: Any) -> List[Any]:
        datasets = super()._MakeDatasetList(*args, **kwargs)
        for dataset in datasets:
            key = self._dataset_keys.get(dataset.file_pattern)
            if key:
                dataset.dataset_key = analyzer_cache.DatasetKey(key)
        # Kept sorted by key and indexed in that order, as TFX's are.
        datasets.sort(key=lambda dataset: dataset.dataset_key)
        for index, dataset in enumerate(datasets):
            dataset.index = index
        return datasets

    def _GetDesiredBatchSize(self, data_format: int, schema: Any) -> Optional[int]:
        return (
            super()._GetDesiredBatchSize(data_format, schema)
            or record_batches.EXAMPLES_PER_RECORD_BATCH
        )

    def _JoinUncachedDatasets(self, analyze_data_list: Any, optimized_analyze_data_dict: Any,
                              *args: Any, **kwargs: Any) -> Any:
        self.cached_keys = {
            key.key for key, dataset in optimized_analyze_data_dict.items() if dataset is None
        }
        return super()._JoinUncachedDatasets(
            analyze_data_list, optimized_analyze_data_dict, *args, **kwargs
        )


class Executor(transform_executor.Executor):
    """Analyses the train split span by span, reusing the cache of spans seen before."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Writes the transform graph, and the analyzer cache when it has one.

        Args:
          input_dict: ``examples`` (one artifact) and ``schema``.
          output_dict: ``transform_graph``, and ``updated_analyzer_cache``
            when the component has a cache pointer.
          exec_properties: See ``spec.RetrievalTransformSpec``; the
            preprocessing function is a dotted path.
        """
        self._log_startup(input_dict, output_dict, exec_properties)
        examples = artifact_utils.get_single_instance(
            input_dict[standard_component_specs.EXAMPLES_KEY]
        )
        transform_graph = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.TRANSFORM_GRAPH_KEY]
        )
        schema_file = io_utils.get_only_uri_in_dir(
            artifact_utils.get_single_uri(input_dict[standard_component_specs.SCHEMA_KEY])
        )
        pointer = exec_properties.get(spec.CACHE_POINTER_KEY)
        output_cache = output_dict.get(standard_component_specs.UPDATED_ANALYZER_CACHE_KEY)
        output_cache_uri = artifact_utils.get_single_uri(output_cache) if output_cache else None
        input_cache_uri = cache_pointer.read(pointer) if pointer else None
        datasets = analysis_datasets(examples)
        processor = _SpanKeyedProcessor(
            {dataset.file_pattern: dataset.key for dataset in datasets if dataset.key}
        )
        temp_path = os.path.join(transform_graph.uri, _TEMP_DIR)
        processor.Transform(
            self._labelled_inputs(examples, schema_file, datasets, input_cache_uri, exec_properties,
                                  transform_graph.uri),
            {
                labels.TRANSFORM_METADATA_OUTPUT_PATH_LABEL: transform_graph.uri,
                labels.TRANSFORM_MATERIALIZE_OUTPUT_PATHS_LABEL: [],
                labels.TEMP_OUTPUT_LABEL: temp_path,
                **({labels.CACHE_OUTPUT_PATH_LABEL: output_cache_uri} if output_cache_uri else {}),
            },
        )
        io_utils.delete_dir(temp_path)
        cached = [dataset for dataset in datasets if dataset.key in processor.cached_keys]
        _report(transform_graph, datasets, cached, input_cache_uri, enabled=bool(pointer))
        if pointer and tf.io.gfile.isdir(output_cache_uri):
            cache_pointer.write(pointer, output_cache_uri, [d.key for d in datasets if d.key])

    def _labelled_inputs(
        self,
        examples: types.Artifact,
        schema_file: str,
        datasets: List[AnalysisDataset],
        input_cache_uri: Optional[str],
        exec_properties: Mapping[str, Any],
        transform_output: str,
    ) -> Dict[str, Any]:
        """The inputs of ``TransformProcessor.Transform``, by TFX's labels."""
        payload_format, data_view_uri = tfxio_utils.resolve_payload_format_and_data_view_uri(
            [examples]
        )
        preprocessing_fn = self._GetPreprocessingFn(
            {
                labels.PREPROCESSING_FN: exec_properties[
                    standard_component_specs.PREPROCESSING_FN_KEY
                ],
                labels.CUSTOM_CONFIG: exec_properties.get(
                    standard_component_specs.CUSTOM_CONFIG_KEY
                ),
                labels.SCHEMA_PATH_LABEL: schema_file,
            },
            {labels.TRANSFORM_METADATA_OUTPUT_PATH_LABEL: transform_output},
        )
        inputs = {
            labels.DISABLE_STATISTICS_LABEL: True,
            labels.SCHEMA_PATH_LABEL: schema_file,
            labels.EXAMPLES_DATA_FORMAT_LABEL: payload_format,
            labels.DATA_VIEW_LABEL: data_view_uri,
            labels.ANALYZE_DATA_PATHS_LABEL: [dataset.file_pattern for dataset in datasets],
            labels.ANALYZE_PATHS_FILE_FORMATS_LABEL: [examples_utils.get_file_format(examples)]
            * len(datasets),
            labels.TRANSFORM_DATA_PATHS_LABEL: [],
            labels.TRANSFORM_PATHS_FILE_FORMATS_LABEL: [],
            labels.PREPROCESSING_FN: preprocessing_fn,
            labels.MAKE_BEAM_PIPELINE_FN: self._make_beam_pipeline,
            labels.FORCE_TF_COMPAT_V1_LABEL: bool(
                exec_properties.get(standard_component_specs.FORCE_TF_COMPAT_V1_KEY, 0)
            ),
        }
        if input_cache_uri:
            inputs[labels.CACHE_INPUT_PATH_LABEL] = input_cache_uri
        return inputs


def _report(
    transform_graph: types.Artifact,
    datasets: List[AnalysisDataset],
    cached: List[AnalysisDataset],
    input_cache_uri: Optional[str],
    enabled: bool,
) -> None:
    """Says, in the progress log and on the graph artifact, what the cache served."""
    analysed = [dataset for dataset in datasets if dataset not in cached]
    transform_graph.set_string_custom_property(
        spec.ANALYZER_CACHE_PROPERTY,
        json.dumps({
            "enabled": enabled,
            "read_from": input_cache_uri,
            "from_cache": [dataset.span for dataset in cached],
            "analysed": [dataset.span for dataset in analysed],
        }),
    )
    if enabled:
        log_progress(
            "analysed %d dataset(s) (spans %s); %d from the analyzer cache (spans %s)",
            len(analysed), _spans(analysed), len(cached), _spans(cached),
        )


def _spans(datasets: List[AnalysisDataset]) -> str:
    return ", ".join(str(dataset.span) for dataset in datasets) or "none"
