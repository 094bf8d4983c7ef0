"""MovieLensExampleGen: rating examples and the movie corpus as TFX Examples."""

from typing import Mapping, Optional

from tfx import types
from tfx.orchestration import data_types
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter

from components import settings_codec
from components.movielens_example_gen import driver, executor, spec
from components.movielens_example_gen.settings import Settings


# The settings a recurring run may set per run (pipeline parameters).
RUNTIME_SETTINGS = ("span", "input_path")


class MovieLensExampleGenSpec(types.ComponentSpec):
    """Parameters (the fields of ``Settings``) and outputs of MovieLensExampleGen."""

    PARAMETERS = settings_codec.execution_parameters(Settings)
    INPUTS = {}
    OUTPUTS = {
        spec.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        spec.CANDIDATES_KEY: ChannelParameter(type=standard_artifacts.Examples),
    }


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

    SPEC_CLASS = MovieLensExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    DRIVER_CLASS = driver.Driver

    def __init__(
        self,
        settings: Settings = Settings(),
        runtime_parameters: Optional[Mapping[str, data_types.RuntimeParameter]] = None,
    ):
        """Builds the component.

        Args:
          settings: What to read and how to split it (checked when built).
          runtime_parameters: Settings (``RUNTIME_SETTINGS``) a run of a
            compiled pipeline sets, as pipeline parameters; their values are
            checked, with the others, when the executor reads them back.

        Raises:
          ValueError: If a runtime parameter names another setting.
        """
        unknown = sorted(set(runtime_parameters or {}) - set(RUNTIME_SETTINGS))
        if unknown:
            raise ValueError(
                f"runtime parameters {unknown}: only {RUNTIME_SETTINGS} may be set per run"
            )
        super().__init__(
            spec=MovieLensExampleGenSpec(
                **{**settings.to_exec_properties(), **(runtime_parameters or {})},
                **{
                    spec.EXAMPLES_KEY: types.Channel(type=standard_artifacts.Examples),
                    spec.CANDIDATES_KEY: types.Channel(type=standard_artifacts.Examples),
                },
            )
        )
