"""Tests of the progress lines shown under the running component.

What ``pipeline/local/progress.py`` guarantees, and these tests check:
- An absl record starting with ``PROGRESS_PREFIX`` logged while a component
  runs is shown indented under it, without the prefix; other records, and
  progress records between components, are not shown (they go to the log).
- At most one progress line per component per interval; a line held back is
  shown before the component's last line, so the last one always shows.
- ``ProgressCounter`` passes items through and logs the count every N items
  and at their end.
- The ExampleGen's synthetic source, run in Beam's in-memory DirectRunner,
  sends its ratings count to the console; the Trainer's epochs are progress
  lines too.
"""

import logging
import time
from typing import Callable, Iterator, List

import apache_beam as beam
import pytest
from absl import logging as absl_logging
from apache_beam.options.pipeline_options import PipelineOptions

from components.movielens_example_gen.synthetic_source import ReadSynthetic
from movielens_simulator import synthetic
from pipeline.local import progress
from components.progress_log import ProgressCounter, log_progress
from pipeline.local.progress import ComponentProgress
from trainer.train import EpochProgress

COMPONENT = "MovieLensExampleGen"
INDENT = " " * len("[1/3] ")
IN_MEMORY = ["--runner=DirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _shown(log_file: str, steps: Callable[[_Clock], None]) -> List[str]:
    """The console lines of a one-component run whose body is ``steps``.

    Args:
      log_file: Where the full log goes.
      steps: Logs records while the component runs; gets the clock.

    Returns:
      The lines shown, the component's first and last included.
    """
    lines: List[str] = []
    clock = _Clock()
    with ComponentProgress(3, log_file, lines.append, interval=5.0, clock=clock):
        absl_logging.info("Component %s is running.", COMPONENT)
        steps(clock)
        absl_logging.info("Component %s is finished.", COMPONENT)
    return lines


def _progress_lines(lines: List[str]) -> List[str]:
    return [line for line in lines if line.startswith(INDENT)]


@pytest.fixture
def log_file(tmp_path) -> str:
    return str(tmp_path / "last_run.log")


def test_progress_record_is_shown_indented_under_the_running_component(log_file):
    lines = _shown(log_file, lambda clock: log_progress("%s ratings read", "250,000"))

    assert lines[0] == f"[1/3] {COMPONENT} ..."
    assert lines[1] == f"{INDENT}{COMPONENT}: 250,000 ratings read"
    assert lines[2].startswith(f"[1/3] {COMPONENT} done in ")
    with open(log_file, encoding="utf-8") as handle:
        assert "progress: 250,000 ratings read" in handle.read()


def test_a_component_skipped_by_its_condition_shows_as_skipped(log_file):
    lines = _shown(log_file, lambda clock: absl_logging.info("Skipping execution for %s", COMPONENT))
    assert lines[-1].startswith(f"[1/3] {COMPONENT} skipped in ")


def test_plain_records_and_progress_between_components_are_not_shown(log_file):
    lines: List[str] = []
    with ComponentProgress(3, log_file, lines.append):
        log_progress("before any component")
        absl_logging.info("Component %s is running.", COMPONENT)
        absl_logging.info("250,000 ratings read")
        absl_logging.info("Component %s is finished.", COMPONENT)
        log_progress("after the component")

    assert _progress_lines(lines) == []
    with open(log_file, encoding="utf-8") as handle:
        assert "250,000 ratings read" in handle.read()


def test_progress_is_rate_limited_and_the_last_line_always_shows(log_file):
    def steps(clock: _Clock) -> None:
        for seconds, count in [(0, 1), (1, 2), (2, 3), (6, 4), (7, 5), (8, 6)]:
            clock.now = seconds
            log_progress("%d00,000 ratings read", count)

    lines = _shown(log_file, steps)

    assert _progress_lines(lines) == [
        f"{INDENT}{COMPONENT}: {count}00,000 ratings read" for count in (1, 4, 6)
    ]
    assert lines[-2] == f"{INDENT}{COMPONENT}: 600,000 ratings read"


def test_rate_limit_starts_afresh_with_each_component(log_file):
    lines: List[str] = []
    with ComponentProgress(3, log_file, lines.append, interval=5.0, clock=lambda: 0.0):
        for name in ("First", "Second"):
            absl_logging.info("Component %s is running.", name)
            log_progress("working")
            absl_logging.info("Component %s is finished.", name)

    assert _progress_lines(lines) == [f"{INDENT}First: working", f"{INDENT}Second: working"]


def test_a_held_back_line_shows_when_the_run_stops_inside_a_component(log_file):
    lines: List[str] = []
    with pytest.raises(RuntimeError):
        with ComponentProgress(3, log_file, lines.append, interval=5.0, clock=lambda: 0.0):
            absl_logging.info("Component %s is running.", COMPONENT)
            log_progress("shown")
            log_progress("held back, then shown")
            raise RuntimeError("the component failed")

    assert lines[-1] == f"{INDENT}{COMPONENT}: held back, then shown"


class _Records(logging.Handler):
    """Keeps the messages of the progress records logged while installed."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(progress.PROGRESS_PREFIX):
            self.messages.append(message[len(progress.PROGRESS_PREFIX):])


@pytest.fixture
def progress_records() -> Iterator[_Records]:
    logger = logging.getLogger("absl")
    records = _Records()
    verbosity = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.INFO)
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)
    absl_logging.set_verbosity(verbosity)


def test_counter_passes_items_through_and_logs_every_n_and_at_the_end(progress_records):
    counter = ProgressCounter("ratings read", every=1000)

    assert list(counter.counted(range(2500))) == list(range(2500))
    assert list(counter.counted(range(500))) == list(range(500))

    assert progress_records.messages == [
        "1,000 ratings read", "2,000 ratings read", "2,500 ratings read", "3,000 ratings read",
    ]


def test_synthetic_source_in_memory_shows_its_ratings_count(log_file):
    config = {"num_ratings": 3000, "seed": 11}
    ratings = synthetic.generate_ratings(synthetic.SyntheticConfig(**config), 0, 1, span=0)
    expected = sum(1 for _ in ratings)

    def steps(clock: _Clock) -> None:
        del clock
        with beam.Pipeline(options=PipelineOptions(IN_MEMORY)) as pipeline:
            _ = pipeline | ReadSynthetic(config, 0)

    lines = _shown(log_file, steps)

    assert _progress_lines(lines) == [f"{INDENT}{COMPONENT}: {expected:,} ratings generated"]


def test_epochs_are_progress_lines_with_the_time_left(progress_records):
    clock = _Clock()
    epochs = EpochProgress(epochs=3, clock=clock)
    for epoch, seconds in enumerate([10.0, 20.0, 30.0]):
        epochs.on_epoch_begin(epoch)
        clock.now += seconds
        epochs.on_epoch_end(epoch, {"loss": 10.0 - epoch})

    assert progress_records.messages == [
        "epoch 1/3: loss 10 (10.0s; about 20s left)",
        "epoch 2/3: loss 9 (20.0s; about 15s left)",
        "epoch 3/3: loss 8 (30.0s)",
    ]


def test_each_component_s_start_and_wall_time_are_kept_in_run_order(log_file):
    with ComponentProgress(2, log_file, lambda line: None) as shown:
        before = time.perf_counter()
        absl_logging.info("Component %s is running.", COMPONENT)
        absl_logging.info("Component %s is finished.", COMPONENT)
        between = time.perf_counter()
        absl_logging.info("Component %s is running.", "StatisticsGen")
        absl_logging.info("Component %s is finished.", "StatisticsGen")
        after = time.perf_counter()

    assert list(shown.started) == [COMPONENT, "StatisticsGen"] == list(shown.seconds)
    assert before <= shown.started[COMPONENT] <= between <= shown.started["StatisticsGen"] <= after
    assert shown.started[COMPONENT] + shown.seconds[COMPONENT] <= between
