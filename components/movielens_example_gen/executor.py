"""Executor of MovieLensExampleGen: reads a source in Beam, writes two outputs.

``examples`` gets one ``tf.train.Example`` per rating in splits ``train`` and
``eval``; ``candidates`` one per movie of the corpus in split ``corpus``.
Following TFX's Avro ExampleGen, each source is a Beam transform; this
executor only picks the source, splits, writes and reports.
"""

import json
import os
from typing import Any, Dict, List, Sequence, Tuple

import apache_beam as beam
from tfx import types
from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact_utils

from components.movielens_example_gen import archive, batches, formats, outputs, spans, spec, split_rules, splits
from components.movielens_example_gen.bad_rows import (
    BadInputError,
    BadRowsSummary,
    DuplicateRating,
    check_tolerance,
)
from components.movielens_example_gen.grouplens_source import ReadGroupLens
from components.movielens_example_gen.settings import Settings
from components.movielens_example_gen.source_output import SourceOutput
from components.movielens_example_gen.synthetic_source import ReadSynthetic, SyntheticQuality
from components.movielens_example_gen.tfds_source import ReadTfds
from components.progress_log import log_progress


def read_source(
    pipeline: beam.Pipeline,
    settings: Settings,
    resolved: spans.ResolvedSource,
    temp_parent: str,
    label: str = "",
) -> SourceOutput:
    """Adds the reading of the configured source to a pipeline.

    Args:
      pipeline: The Beam pipeline.
      settings: The ExampleGen settings.
      resolved: The span to read.
      temp_parent: A folder the Beam workers can write temporary files to.
      label: Appended to the Beam labels, so that several spans can be read.

    Returns:
      The source's ratings, movies and bad rows.

    Raises:
      archive.DamagedArchiveError: If a GroupLens archive's members are damaged.
    """
    if settings.source == spec.SOURCE_GROUPLENS:
        layout = formats.detect_layout(resolved.input_path)
        archive.check_intact(layout.files())
        log_progress("reading GroupLens %s from %s", layout.format_name, resolved.input_path)
        return pipeline | f"ReadGroupLens{label}" >> ReadGroupLens(
            layout,
            settings.keep_duplicate_ratings,
            with_timestamps=settings.split.mode == split_rules.TEMPORAL,
            temp_parent=temp_parent,
        )
    if settings.source == spec.SOURCE_TFDS:
        log_progress("reading TFDS %s", settings.tfds_name)
        return pipeline | f"ReadTfds{label}" >> ReadTfds(
            settings.tfds_name, settings.tfds_data_dir, settings.tfds_download
        )
    log_progress("generating synthetic ratings of span %d", resolved.span)
    return pipeline | f"ReadSynthetic{label}" >> ReadSynthetic(
        settings.synthetic_config, resolved.span
    )


class Executor(base_beam_executor.BaseBeamExecutor):
    """Writes MovieLens rating examples and the movie candidate corpus."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Reads the source, writes both outputs, and checks bad rows.

        Args:
          input_dict: Unused (the component has no inputs).
          output_dict: ``examples`` and ``candidates`` artifacts.
          exec_properties: See ``component.MovieLensExampleGenSpec``; the driver
            adds the resolved ``span`` and ``input_fingerprint``.

        Raises:
          BadInputError: If more rows are bad than ``max_bad_rows``, a split is
            empty, or a GroupLens archive is damaged.
        """
        del input_dict
        settings = Settings.from_exec_properties(exec_properties)
        window = spans.resolve_window(settings)
        examples = artifact_utils.get_single_instance(output_dict[spec.EXAMPLES_KEY])
        candidates = artifact_utils.get_single_instance(output_dict[spec.CANDIDATES_KEY])
        summary_path = os.path.join(examples.uri, spec.SUMMARY_FILE)

        with self._make_beam_pipeline() as pipeline:
            sources, train_parts, train_count, evaluation = _read_window(
                pipeline, settings, window, examples.uri
            )
            collections = {
                split_rules.EVAL: evaluation,
                spec.CANDIDATES_SPLIT: sources[-1].movies | "MovieBatch" >> beam.combiners.ToList(),
            }
            for name, collection in collections.items():
                uri = candidates.uri if name == spec.CANDIDATES_SPLIT else examples.uri
                _ = collection | f"Write{name}" >> outputs.WriteRecords(
                    outputs.split_uri(uri, name)
                )
            counts = {
                split_rules.TRAIN: beam.pvalue.AsSingleton(train_count),
                **{
                    name: beam.pvalue.AsSingleton(
                        collection | f"Count{name}" >> batches.CountBatched()
                    )
                    for name, collection in collections.items()
                },
            }
            every_bad_row = (
                [source.bad_rows for source in sources] | "BadRowsOfWindow" >> beam.Flatten()
            )
            bad_rows, duplicates = every_bad_row | "SetApartDuplicates" >> beam.Partition(
                lambda row, _: int(isinstance(row, DuplicateRating)), 2
            )
            bad = bad_rows | "BadRows" >> outputs.SummarizeBadRows()
            duplicated = duplicates | "Duplicates" >> outputs.SummarizeDuplicates()
            quality = (
                (train_parts | "TrainOfWindow" >> beam.Flatten(), evaluation)
                | "SyntheticQuality" >> SyntheticQuality(settings.synthetic_config)
                if settings.source == spec.SOURCE_SYNTHETIC
                else pipeline | "NoQuality" >> beam.Create([None])
            )
            _ = (
                bad
                | "BuildSummary"
                >> beam.Map(
                    _summary,
                    beam.pvalue.AsSingleton(quality),
                    beam.pvalue.AsSingleton(duplicated),
                    not settings.keep_duplicate_ratings,
                    **counts,
                )
                | "WriteSummary" >> beam.Map(lambda s: outputs.write_summary(summary_path, s))
            )

        summary = outputs.read_summary(summary_path)
        _log_written(summary["num_examples"], settings)
        _record_properties(examples, candidates, settings, window, exec_properties, summary)
        check_tolerance(BadRowsSummary(**summary["bad_rows"]), settings.max_bad_rows)
        check_no_empty_split(summary["num_examples"], settings)


def _read_window(
    pipeline: beam.Pipeline,
    settings: Settings,
    window: Sequence[spans.ResolvedSource],
    examples_uri: str,
) -> Tuple[List[SourceOutput], List[beam.PCollection], beam.PCollection, beam.PCollection]:
    """Reads, splits and writes the train split of every span of the window.

    Of a window of several spans, each span's train split is written under
    its own file prefix (``outputs.span_file_prefix``) and counted apart:
    flattening the spans' batches into one collection would make Beam's
    DirectRunner hold all of them in its own process. Only the newest
    span's eval split is kept: the older ones were measured in their own
    runs, and none of them is trained on.

    Returns:
      The sources (oldest first), each span's train batches, the window's
      train count (one element) and the newest span's eval batches.
    """
    sources, train_parts, train_counts = [], [], []
    for resolved in window:
        label = f"Span{resolved.span}" if len(window) > 1 else ""
        source = read_source(pipeline, settings, resolved, examples_uri, label)
        train_part, evaluation = source.rating_batches | f"Split{label}" >> splits.SplitRatings(
            settings.split, source.timestamps
        )
        sources.append(source)
        train_parts.append(train_part)
        _ = train_part | f"Writetrain{label}" >> outputs.WriteRecords(
            outputs.split_uri(examples_uri, split_rules.TRAIN),
            resolved.span if len(window) > 1 else None,
        )
        train_counts.append(train_part | f"Counttrain{label}" >> batches.CountBatched())
    if len(window) == 1:
        return sources, train_parts, train_counts[0], evaluation
    train_count = (
        train_counts
        | "TrainCountsOfWindow" >> beam.Flatten()
        | "Counttrain" >> beam.CombineGlobally(sum)
    )
    return sources, train_parts, train_count, evaluation


def check_no_empty_split(counts: Dict[str, int], settings: Settings) -> None:
    """Stops a run whose train, eval or corpus split came out empty.

    Args:
      counts: Records written per split.
      settings: The ExampleGen settings (for the reason).

    Raises:
      BadInputError: Naming each empty split and why it is empty.
    """
    names = (*split_rules.SPLIT_NAMES, spec.CANDIDATES_SPLIT)
    empty = [name for name in names if not counts.get(name)]
    if not empty:
        return
    ratings = sum(counts.get(name, 0) for name in split_rules.SPLIT_NAMES)
    if not ratings:
        reason = "the input holds no ratings"
    else:
        reason = (
            f"the {settings.split.mode} split with eval_fraction "
            f"{settings.split.eval_fraction} put all {ratings} ratings on one side"
        )
    raise BadInputError(f"Empty split(s) {', '.join(empty)}: {reason}")


def _log_written(counts: Dict[str, int], settings: Settings) -> None:
    """Logs, as a progress line, how many records each split got."""
    log_progress(
        "wrote %s train and %s eval ratings (%s split), %s movies",
        f"{counts.get(split_rules.TRAIN, 0):,}",
        f"{counts.get(split_rules.EVAL, 0):,}",
        settings.split.mode,
        f"{counts.get(spec.CANDIDATES_SPLIT, 0):,}",
    )


def _summary(
    bad: BadRowsSummary,
    quality: Any,
    duplicates: BadRowsSummary,
    duplicates_dropped: bool,
    **counts: int,
) -> Dict[str, Any]:
    return {
        "num_examples": counts,
        "bad_rows": {
            "count": bad.count,
            "samples": bad.samples,
            "consequences": bad.consequences,
        },
        "duplicate_ratings": {
            "count": duplicates.count,
            "samples": duplicates.samples,
            "dropped": duplicates_dropped,
        },
        "synthetic_quality": quality,
    }


def _record_properties(
    examples: types.Artifact,
    candidates: types.Artifact,
    settings: Settings,
    window: Sequence[spans.ResolvedSource],
    exec_properties: Dict[str, Any],
    summary: Dict[str, Any],
) -> None:
    examples.split_names = artifact_utils.encode_split_names(list(split_rules.SPLIT_NAMES))
    candidates.split_names = artifact_utils.encode_split_names([spec.CANDIDATES_SPLIT])
    fingerprint = exec_properties.get(spec.FINGERPRINT_KEY) or spans.window_fingerprint(
        settings, window
    )
    code = spans.examples_code_fingerprint()
    entries = []
    for resolved in window:
        data = spans.fingerprint(settings, resolved)
        entries.append({
            "span": resolved.span,
            "fingerprint": data,
            "examples_key": spans.examples_key(settings, data, code),
            "train_files": outputs.train_files_glob(resolved.span if len(window) > 1 else None),
        })
    examples.set_string_custom_property(spec.WINDOW_PROPERTY, json.dumps(entries))
    newest = window[-1].span
    for artifact in (examples, candidates):
        artifact.span = newest
        # TFX's span resolvers (SpanRangeStrategy, ...) read the custom property.
        artifact.set_int_custom_property(spec.SPAN_KEY, newest)
        artifact.set_string_custom_property(spec.FINGERPRINT_KEY, fingerprint)
        artifact.set_string_custom_property(spec.SOURCE_PROPERTY, settings.source)
    for name, count in summary["num_examples"].items():
        target = candidates if name == spec.CANDIDATES_SPLIT else examples
        target.set_int_custom_property(spec.NUM_EXAMPLES_PROPERTY_PREFIX + name, count)
    examples.set_int_custom_property(
        spec.BAD_ROWS_COUNT_PROPERTY, summary["bad_rows"]["count"]
    )
    examples.set_string_custom_property(
        spec.BAD_ROWS_SAMPLE_PROPERTY, json.dumps(summary["bad_rows"]["samples"])
    )
    examples.set_int_custom_property(
        spec.DUPLICATE_RATINGS_COUNT_PROPERTY, summary["duplicate_ratings"]["count"]
    )
    if summary["synthetic_quality"] is not None:
        examples.set_string_custom_property(
            spec.SYNTHETIC_QUALITY_PROPERTY, json.dumps(summary["synthetic_quality"])
        )
