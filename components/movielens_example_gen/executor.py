"""Executor of MovieLensExampleGen: reads a source in Beam, writes two outputs.

``examples`` gets one ``tf.train.Example`` per rating in splits ``train`` and
``eval``; ``candidates`` one per movie of the corpus in split ``corpus``.
Following TFX's Avro ExampleGen, each source is a Beam transform; this
executor only picks the source, splits, writes and reports.
"""

import json
import os
from typing import Any, Dict, List

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
    pipeline: beam.Pipeline, settings: Settings, resolved: spans.ResolvedSource
) -> SourceOutput:
    """Adds the reading of the configured source to a pipeline.

    Args:
      pipeline: The Beam pipeline.
      settings: The ExampleGen settings.
      resolved: The span to read.

    Returns:
      The source's ratings, movies and bad rows.

    Raises:
      archive.DamagedArchiveError: If a GroupLens archive's members are damaged.
    """
    if settings.source == spec.SOURCE_GROUPLENS:
        layout = formats.detect_layout(resolved.input_path)
        archive.check_intact(layout.files())
        log_progress("reading GroupLens %s from %s", layout.format_name, resolved.input_path)
        return pipeline | "ReadGroupLens" >> ReadGroupLens(
            layout, settings.keep_duplicate_ratings
        )
    if settings.source == spec.SOURCE_TFDS:
        log_progress("reading TFDS %s", settings.tfds_name)
        return pipeline | "ReadTfds" >> ReadTfds(
            settings.tfds_name, settings.tfds_data_dir, settings.tfds_download
        )
    log_progress("generating synthetic ratings of span %d", resolved.span)
    return pipeline | "ReadSynthetic" >> ReadSynthetic(settings.synthetic_config, resolved.span)


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
        resolved = spans.resolve(settings)
        examples = artifact_utils.get_single_instance(output_dict[spec.EXAMPLES_KEY])
        candidates = artifact_utils.get_single_instance(output_dict[spec.CANDIDATES_KEY])
        summary_path = os.path.join(examples.uri, spec.SUMMARY_FILE)

        with self._make_beam_pipeline() as pipeline:
            source = read_source(pipeline, settings, resolved)
            train, evaluation = source.rating_batches | "Split" >> splits.SplitRatings(
                settings.split
            )
            collections = {
                split_rules.TRAIN: train,
                split_rules.EVAL: evaluation,
                spec.CANDIDATES_SPLIT: source.movies | "MovieBatch" >> beam.combiners.ToList(),
            }
            for name, collection in collections.items():
                uri = candidates.uri if name == spec.CANDIDATES_SPLIT else examples.uri
                _ = collection | f"Write{name}" >> outputs.WriteRecords(
                    outputs.split_uri(uri, name)
                )
            counts = {
                name: beam.pvalue.AsSingleton(
                    collection | f"Count{name}" >> batches.CountBatched()
                )
                for name, collection in collections.items()
            }
            bad_rows, duplicates = source.bad_rows | "SetApartDuplicates" >> beam.Partition(
                lambda row, _: int(isinstance(row, DuplicateRating)), 2
            )
            bad = bad_rows | "BadRows" >> outputs.SummarizeBadRows()
            duplicated = duplicates | "Duplicates" >> outputs.SummarizeDuplicates()
            quality = (
                (train, evaluation) | "SyntheticQuality" >> SyntheticQuality(settings.synthetic_config)
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
        _record_properties(examples, candidates, settings, resolved, exec_properties, summary)
        check_tolerance(BadRowsSummary(**summary["bad_rows"]), settings.max_bad_rows)
        check_no_empty_split(summary["num_examples"], settings)


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
    resolved: spans.ResolvedSource,
    exec_properties: Dict[str, Any],
    summary: Dict[str, Any],
) -> None:
    examples.split_names = artifact_utils.encode_split_names(list(split_rules.SPLIT_NAMES))
    candidates.split_names = artifact_utils.encode_split_names([spec.CANDIDATES_SPLIT])
    fingerprint = exec_properties.get(spec.FINGERPRINT_KEY) or spans.fingerprint(
        settings, resolved
    )
    for artifact in (examples, candidates):
        artifact.span = resolved.span
        # TFX's span resolvers (SpanRangeStrategy, ...) read the custom property.
        artifact.set_int_custom_property(spec.SPAN_KEY, resolved.span)
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
