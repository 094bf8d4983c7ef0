"""Checks and choices made before a run starts: data reachable, schema, Beam.

These read the environment (files, network), so they live here, in the
command line's path, and never in ``create_pipeline``.
"""

import dataclasses
import os
import itertools
import socket
import zipfile
from typing import Callable, List, Optional, Tuple

import tensorflow as tf

from components.movielens_example_gen import archive, formats, spans
from components.movielens_example_gen import spec as example_gen_spec
from components.movielens_example_gen import Settings
from components.movielens_example_gen.tfds_source import movies_builder_name
from pipeline.kubeflow import beam_profiles
from pipeline import config as config_lib

GROUPLENS_HOST = "files.grouplens.org"
# Above this many ratings, Beam's multi-processing DirectRunner pays for the
# TensorFlow import in each worker; below it, in memory is faster
# (docs/benchmarks.md).
MULTI_PROCESSING_MIN_RATINGS = 1_000_000
# Lines read from the top of a ratings file to learn its bytes per rating.
_SAMPLE_LINES = 2000


class DataUnavailableError(RuntimeError):
    """The requested data can be neither found locally nor downloaded."""


def check_tfds_available(name: str, data_dir: str, timeout: float = 5.0) -> None:
    """Fails at once when TFDS data is not prepared and GroupLens is unreachable.

    Args:
      name: The TFDS ratings builder.
      data_dir: The TFDS data dir (None for TFDS's default).
      timeout: Seconds to wait for a connection to GroupLens.

    Raises:
      DataUnavailableError: Naming the two offline alternatives.
    """
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel

    builders = [tfds.builder(n, data_dir=data_dir) for n in (name, movies_builder_name(name))]
    if all(builder.is_prepared() for builder in builders):
        return
    try:
        socket.create_connection((GROUPLENS_HOST, 443), timeout=timeout).close()
    except OSError as error:
        raise DataUnavailableError(
            f"{name} is not prepared in the TFDS data dir ({builders[0].data_dir}) and "
            f"{GROUPLENS_HOST} cannot be reached ({error}). Offline, either:\n"
            "  --source grouplens --input-path /path/to/ml-100k.zip   (a GroupLens archive "
            "you downloaded elsewhere), or\n"
            "  --source synthetic [--synthetic-ratings 100000]        (generated data with "
            "planted structure)."
        ) from None


@dataclasses.dataclass(frozen=True)
class DataFacts:
    """What a local run's choices need to know about its data.

    Attributes:
      schema: The curated schema matching the data's features.
      estimated_ratings: Roughly how many ratings the run reads.
    """

    schema: str
    estimated_ratings: int


def inspect_source(
    requested: Optional[str], settings_for: Callable[[str], Settings]
) -> Tuple[Settings, DataFacts, Optional[str]]:
    """The data a local run reads, checked once: the source asked for, else TFDS if it can be read, else synthetic.

    The main command must run wherever it is typed: with no ``--source``,
    TFDS's MovieLens is the first choice (prepared, or downloaded when
    GroupLens can be reached), and generated MovieLens-shaped data the
    fallback. An explicit ``--source tfds`` offline still fails.

    Args:
      requested: ``--source`` (None: not given).
      settings_for: The ExampleGen settings for a source.

    Returns:
      The settings, what ``inspect_data`` found, and a note to show when the
      fallback was taken (else None).

    Raises:
      DataUnavailableError: If TFDS was asked for and cannot be read.
    """
    settings = settings_for(requested or example_gen_spec.SOURCE_TFDS)
    try:
        return settings, inspect_data(settings), None
    except DataUnavailableError:
        if requested is not None:
            raise
    synthetic = settings_for(example_gen_spec.SOURCE_SYNTHETIC)
    note = (
        f"{settings.tfds_name} is not prepared and {GROUPLENS_HOST} cannot be reached, so this "
        "run uses synthetic MovieLens-shaped data (--source synthetic). For the real data: "
        "--source grouplens --input-path /path/to/ml-100k.zip, or --source tfds once "
        "TFDS's data is prepared or the network is reachable."
    )
    return synthetic, inspect_data(synthetic), note


def schema_from_settings(settings: Settings) -> Optional[str]:
    """The curated schema, where the settings alone decide it (no I/O).

    Args:
      settings: The ExampleGen settings.

    Returns:
      A name from ``config.SCHEMAS``, or None for GroupLens files (whose
      layout only the files tell).
    """
    if settings.source == example_gen_spec.SOURCE_SYNTHETIC:
        with_demographics = settings.synthetic_config.get("with_demographics", True)
        return config_lib.SCHEMA_ML_100K if with_demographics else config_lib.SCHEMA_RATINGS_ONLY
    if settings.source == example_gen_spec.SOURCE_TFDS:
        release = settings.tfds_name.split("/")[-1]
        return {"100k-ratings": config_lib.SCHEMA_ML_100K, "1m-ratings": config_lib.SCHEMA_ML_1M}.get(
            release, config_lib.SCHEMA_RATINGS_ONLY
        )
    return None


def inspect_data(settings: Settings) -> DataFacts:
    """Checks that the data can be read, and reads what the run's choices need, once.

    Args:
      settings: The ExampleGen settings.

    Returns:
      The schema and the estimated size.

    Raises:
      DataUnavailableError: If TFDS data is missing and cannot be downloaded.
      FileNotFoundError: If GroupLens input is missing.
      ValueError: If GroupLens input is not a MovieLens release.
    """
    if settings.source == example_gen_spec.SOURCE_TFDS:
        check_tfds_available(settings.tfds_name, settings.tfds_data_dir)
    if settings.source != example_gen_spec.SOURCE_GROUPLENS:
        return DataFacts(schema_from_settings(settings), _estimated_ratings(settings))
    layout = formats.detect_layout(spans.resolve(settings).input_path)
    schema = {formats.FORMAT_100K: config_lib.SCHEMA_ML_100K, formats.FORMAT_1M: config_lib.SCHEMA_ML_1M}.get(
        layout.format_name, config_lib.SCHEMA_RATINGS_ONLY
    )
    return DataFacts(schema, estimated_file_ratings(layout.ratings))


def estimated_file_ratings(ratings: archive.ArchiveFile) -> int:
    """Roughly how many ratings a GroupLens ratings file holds, without reading it all.

    Its uncompressed size over the mean length of its first lines: line
    lengths differ between releases (ml-1m's ``::`` separators, ml-25m's
    decimal stars) and with the size of the ids, so no constant fits.

    Args:
      ratings: The ratings file, plain or inside a zip archive.

    Returns:
      The estimated number of rating lines (0 for an empty file).
    """
    if ratings.archive is None:
        size = tf.io.gfile.stat(ratings.path).length
    else:
        with tf.io.gfile.GFile(ratings.archive, "rb") as handle:
            with zipfile.ZipFile(handle) as zipped:
                size = zipped.getinfo(ratings.path).file_size
    sample = [line for _, line in itertools.islice(archive.read_lines(ratings), _SAMPLE_LINES)]
    if not sample:
        return 0
    bytes_per_line = sum(len(line) + 1 for line in sample) / len(sample)
    return int(size / bytes_per_line)


def _estimated_ratings(settings: Settings) -> int:
    """Roughly how many synthetic or TFDS ratings a run reads."""
    if settings.source == example_gen_spec.SOURCE_SYNTHETIC:
        return int(settings.synthetic_config.get("num_ratings", 100_000))
    release = settings.tfds_name.split("/")[-1]
    sizes = {"100k-ratings": 100_000, "1m-ratings": 1_000_209, "latest-small-ratings": 100_836}
    return sizes.get(release, 25_000_000)


def local_beam_args(mode: str, workers: int, ratings: int) -> List[str]:
    """Beam DirectRunner options for a local run.

    Args:
      mode: ``auto``, ``in_memory`` or ``multi_processing``.
      workers: Worker processes for multi-processing (0: one per core of
        this machine).
      ratings: Estimated ratings, used by ``auto``.

    Returns:
      Beam pipeline arguments.
    """
    if mode == "auto":
        mode = "multi_processing" if ratings >= MULTI_PROCESSING_MIN_RATINGS else "in_memory"
    return beam_profiles.direct_runner_args(
        multi_processing=mode == "multi_processing", workers=workers or os.cpu_count() or 1
    )
