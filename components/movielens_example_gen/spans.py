"""Spans: which batch of data a run reads, and the fingerprint of that batch.

As in TFX's file-based ExampleGen, a GroupLens ``input_path`` may contain
``{SPAN}`` (e.g. ``/data/drops/span-{SPAN}.zip``): each new archive drop is a
new span, and a run reads the newest one or a requested one. Synthetic data
has ``num_spans`` time windows (days); span ``k`` is the k-th window. TFDS
releases are a single span, 0.

A run may read a rolling window of the newest spans (``Settings.window_spans``)
rather than one: ``resolve_window`` pins it, oldest first.

The fingerprint covers what the run reads (file contents, or the generator's
settings), so that TFX's cache never reuses examples of changed data. The
examples key covers what a span's train examples are made of (its data, the
settings that shape them and the ExampleGen's code): tf.Transform's analyzer
cache is keyed by it, so that a span analysed in one run is found in the next.
"""

import dataclasses
import hashlib
import json
import os
import re
from typing import Dict, Optional, Sequence, Tuple

import tensorflow as tf

import movielens_simulator
from components import code_version
from components.movielens_example_gen import spec
from components.movielens_example_gen.settings import Settings

SPAN_PLACEHOLDER = "{SPAN}"
# Bump when the synthetic generator's output for the same settings changes.
SYNTHETIC_GENERATOR_VERSION = 2
_READ_CHUNK = 1 << 22


@dataclasses.dataclass(frozen=True)
class ResolvedSource:
    """A source pinned to one span.

    Attributes:
      span: The span number.
      input_path: For GroupLens, the archive or folder of that span.
    """

    span: int
    input_path: Optional[str]


def resolve(settings: Settings) -> ResolvedSource:
    """Pins the settings' source to one span.

    Args:
      settings: The ExampleGen settings; ``span`` may be ``LATEST_SPAN``.

    Returns:
      The span and, for GroupLens, its path.

    Raises:
      FileNotFoundError: If no GroupLens span matches, or the requested one is
        missing.
      ValueError: If a synthetic span is out of range, or a TFDS span is not 0.
    """
    if settings.source == spec.SOURCE_GROUPLENS:
        return _resolve_grouplens(settings.input_path, settings.span)
    if settings.source == spec.SOURCE_SYNTHETIC:
        num_spans = int(settings.synthetic_config.get("num_spans", 1))
        span = num_spans - 1 if settings.span == spec.LATEST_SPAN else settings.span
        if not 0 <= span < num_spans:
            raise ValueError(
                f"synthetic span {span} out of range: the data has {num_spans} span(s)"
            )
        return ResolvedSource(span, None)
    if settings.span not in (spec.LATEST_SPAN, 0):
        raise ValueError(f"TFDS data has one span (0), got span={settings.span}")
    return ResolvedSource(0, None)


def resolve_window(settings: Settings) -> Tuple[ResolvedSource, ...]:
    """Pins the rolling window of spans a run reads.

    The window ends at the span ``resolve`` pins and holds up to
    ``settings.window_spans`` spans: the newest ones at or before it that
    exist (GroupLens drops may have gaps; there may be fewer than asked).

    Args:
      settings: The ExampleGen settings.

    Returns:
      The spans, oldest first; the last is ``resolve(settings)``.

    Raises:
      FileNotFoundError: As ``resolve``.
      ValueError: As ``resolve``.
    """
    newest = resolve(settings)
    if settings.window_spans == 1:
        return (newest,)
    if settings.source == spec.SOURCE_GROUPLENS and SPAN_PLACEHOLDER in settings.input_path:
        earlier = sorted(
            span for span in _grouplens_spans(settings.input_path) if span < newest.span
        )[-(settings.window_spans - 1):]
        return tuple(
            ResolvedSource(span, settings.input_path.replace(SPAN_PLACEHOLDER, str(span)))
            for span in earlier
        ) + (newest,)
    first = max(0, newest.span - settings.window_spans + 1)
    return tuple(ResolvedSource(span, None) for span in range(first, newest.span)) + (newest,)


def window_fingerprint(settings: Settings, window: Sequence[ResolvedSource]) -> str:
    """Fingerprints what a run over a window of spans reads.

    Args:
      settings: The ExampleGen settings.
      window: The spans (``resolve_window``).

    Returns:
      The span's ``fingerprint`` for a window of one; else a SHA-256 of the
      spans' numbers and fingerprints.
    """
    if len(window) == 1:
        return fingerprint(settings, window[0])
    digest = hashlib.sha256()
    for resolved in window:
        digest.update(f"{resolved.span}={fingerprint(settings, resolved)}\n".encode())
    return f"sha256:{digest.hexdigest()}"


def fingerprint(settings: Settings, resolved: ResolvedSource) -> str:
    """Fingerprints what a run of the settings reads.

    Args:
      settings: The ExampleGen settings.
      resolved: The span the run reads.

    Returns:
      A string that changes whenever the data read changes: SHA-256 of the
      GroupLens files' contents, of the prepared TFDS files' names and sizes,
      or of the synthetic generator's settings and version.
    """
    digest = hashlib.sha256()
    digest.update(f"span={resolved.span}\n".encode())
    if settings.source == spec.SOURCE_GROUPLENS:
        for path in _files_under(resolved.input_path):
            digest.update(path.encode() + b"\n")
            with tf.io.gfile.GFile(path, "rb") as handle:
                while chunk := handle.read(_READ_CHUNK):
                    digest.update(chunk)
    elif settings.source == spec.SOURCE_SYNTHETIC:
        digest.update(json.dumps(settings.synthetic_config, sort_keys=True).encode())
        digest.update(f"generator={SYNTHETIC_GENERATOR_VERSION}".encode())
    else:
        digest.update(f"{settings.tfds_name}@{settings.tfds_data_dir}\n".encode())
        dataset_dir = _tfds_dataset_dir(settings)
        if dataset_dir:
            for path in _files_under(dataset_dir):
                digest.update(f"{path}:{tf.io.gfile.stat(path).length}\n".encode())
    return f"sha256:{digest.hexdigest()}"


def examples_code_fingerprint() -> str:
    """Hashes the code that turns a span's data into examples.

    Returns:
      ``code_version.files_fingerprint`` of this package and the synthetic
      generator's.
    """
    return code_version.files_fingerprint(
        [os.path.dirname(os.path.abspath(__file__)), movielens_simulator.__path__[0]]
    )


def examples_key(settings: Settings, data_fingerprint: str, code_fingerprint: str) -> str:
    """Keys the train examples written of one span.

    Equal keys mean equal train examples (up to their order): the span's data,
    the settings that shape its examples (source, split, duplicates) and the
    code are the same. Settings that only decide which spans are read, or
    whether the run fails, do not count.

    Args:
      settings: The ExampleGen settings.
      data_fingerprint: The span's ``fingerprint``.
      code_fingerprint: ``examples_code_fingerprint()``.

    Returns:
      A hex SHA-256.
    """
    shaping = {
        "data": data_fingerprint,
        "source": settings.source,
        "split_mode": settings.split_mode,
        "eval_fraction": settings.eval_fraction,
        "keep_duplicate_ratings": settings.keep_duplicate_ratings,
        "code": code_fingerprint,
    }
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()


def _resolve_grouplens(input_path: str, requested: int) -> ResolvedSource:
    if SPAN_PLACEHOLDER not in input_path:
        if requested not in (spec.LATEST_SPAN, 0):
            raise ValueError(
                f"span={requested} requested, but input_path {input_path} has no "
                f"{SPAN_PLACEHOLDER} placeholder"
            )
        if not tf.io.gfile.exists(input_path):
            raise FileNotFoundError(f"MovieLens input not found: {input_path} does not exist")
        return ResolvedSource(0, input_path)
    if requested != spec.LATEST_SPAN:
        path = input_path.replace(SPAN_PLACEHOLDER, str(requested))
        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"span {requested} not found: {path} does not exist")
        return ResolvedSource(requested, path)
    spans = _grouplens_spans(input_path)
    if not spans:
        raise FileNotFoundError(f"no span matches {input_path}")
    latest = max(spans)
    return ResolvedSource(latest, spans[latest])


def _grouplens_spans(input_path: str) -> Dict[int, str]:
    """Span number to path, for every drop matching a ``{SPAN}`` input path."""
    prefix, suffix = input_path.split(SPAN_PLACEHOLDER, 1)
    pattern = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix) + "$")
    spans = {}
    for path in tf.io.gfile.glob(input_path.replace(SPAN_PLACEHOLDER, "*")):
        match = pattern.match(path.rstrip("/"))
        if match:
            spans[int(match.group(1))] = path.rstrip("/")
    return spans


def _files_under(location: str):
    if not tf.io.gfile.isdir(location):
        return [location]
    found = []
    for folder, _, names in tf.io.gfile.walk(location):
        found.extend(f"{folder.rstrip('/')}/{name}" for name in names)
    return sorted(found)


def _tfds_dataset_dir(settings: Settings) -> Optional[str]:
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel

    builder = tfds.builder(settings.tfds_name, data_dir=settings.tfds_data_dir)
    data_dir = str(builder.data_dir)
    return data_dir if tf.io.gfile.exists(data_dir) else None
