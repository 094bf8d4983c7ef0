"""MovieLensExampleGen: rating examples and the movie corpus as TFX Examples."""

import json
from typing import Any, Mapping, Optional

from tfx import types
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import standard_artifacts

from components.movielens_example_gen import driver, executor, spec
from components.movielens_example_gen.settings import Settings
from components.movielens_example_gen.splits import RANDOM


class MovieLensExampleGen(base_beam_component.BaseBeamComponent):
    """Reads MovieLens into ``examples`` (ratings) and ``candidates`` (movies).

    ``examples`` holds one ``tf.train.Example`` per rating with TFDS
    ``movielens/*-ratings`` feature names, split into ``train`` and ``eval``;
    ``candidates`` one per movie of the whole corpus (rated or not), keyed by
    ``movie_id``, in split ``corpus``. Both carry the span read and a
    fingerprint of the input; ``examples`` also records how many input rows
    were bad (and a few of them), and for synthetic data the quality that the
    generating model and the popularity baseline reach on the eval split.
    """

    SPEC_CLASS = spec.MovieLensExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    DRIVER_CLASS = driver.Driver

    def __init__(
        self,
        source: str,
        input_path: Optional[str] = None,
        tfds_name: Optional[str] = None,
        tfds_data_dir: Optional[str] = None,
        tfds_download: bool = True,
        synthetic_config: Optional[Mapping[str, Any]] = None,
        split_mode: str = RANDOM,
        eval_fraction: float = 0.2,
        max_bad_rows: int = 0,
        span: int = spec.LATEST_SPAN,
    ):
        """Builds the component.

        Args:
          source: ``grouplens``, ``tfds`` or ``synthetic``.
          input_path: For ``grouplens``: a release's .zip or extracted folder
            (ml-100k, ml-1m, ml-latest-small, ml-20m, ml-25m), local or on
            ``gs://``/``s3://``; may contain ``{SPAN}`` to select among drops.
          tfds_name: For ``tfds``: a ratings builder such as
            ``movielens/100k-ratings``.
          tfds_data_dir: For ``tfds``: the data dir (TFDS's default if None).
          tfds_download: For ``tfds``: download when the data is not prepared.
          synthetic_config: For ``synthetic``: keyword arguments of
            ``synthetic.SyntheticConfig`` (sizes, seed, spans, ...).
          split_mode: ``random`` (stable hash) or ``temporal`` (newest ratings
            in eval).
          eval_fraction: Share of ratings in the eval split.
          max_bad_rows: Bad input rows tolerated; they are counted and quoted
            in the ``examples`` artifact's properties. Above it the run fails
            naming file, line and reason of the first ones.
          span: The span to read, or -1 for the newest.
        """
        parameters = {
            spec.SOURCE_KEY: source,
            spec.INPUT_PATH_KEY: input_path,
            spec.TFDS_NAME_KEY: tfds_name,
            spec.TFDS_DATA_DIR_KEY: tfds_data_dir,
            spec.TFDS_DOWNLOAD_KEY: int(tfds_download),
            spec.SYNTHETIC_CONFIG_KEY: json.dumps(
                dict(synthetic_config or {}), sort_keys=True
            ),
            spec.SPLIT_MODE_KEY: split_mode,
            spec.EVAL_FRACTION_KEY: eval_fraction,
            spec.MAX_BAD_ROWS_KEY: max_bad_rows,
            spec.SPAN_KEY: span,
        }
        Settings.from_exec_properties(parameters)  # Fails early on bad settings.
        super().__init__(
            spec=spec.MovieLensExampleGenSpec(
                **parameters,
                **{
                    spec.EXAMPLES_KEY: types.Channel(type=standard_artifacts.Examples),
                    spec.CANDIDATES_KEY: types.Channel(type=standard_artifacts.Examples),
                },
            )
        )
