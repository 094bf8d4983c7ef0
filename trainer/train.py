"""Plain training entry point, callable without TFX."""

import dataclasses
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import tensorflow as tf
import tensorflow_transform as tft
from absl import logging

import retrieval_metrics
from components.progress_log import log_progress
from trainer import config as config_lib
from trainer import data, distribution, metrics, warm_start
from trainer.history import UserHistory
from trainer.model import RetrievalModel
from trainer.towers import Tower, TowerInputs, tower_inputs
from transform_fn import features, sizes


# Why training stopped (``TrainedModel.stop_reason``).
STOPPED_BY_EPOCHS = "epochs"
STOPPED_BY_MAX_STEPS = "max_steps"
# Least seconds between two progress lines within an epoch.
STEP_PROGRESS_SECONDS = 60.0
# Eval ratings per batch (one query tower call; ranked in slices, metrics.py).
_EVAL_BATCH_SIZE = 4096


@dataclasses.dataclass
class TrainedModel:
    """A trained model with what export and evaluation need.

    Attributes:
      model: The retrieval model (towers inside).
      corpus: The candidate corpus.
      tf_transform_output: The Transform output the model was built from.
      transform_layer: The transform layer shared by training and serving.
      config: The hyperparameters.
      loss: The loss actually used.
      eval_metrics: Filtered top-k accuracy of the model and of popularity
        on eval, queried at the model's default time.
      eval_examples: ``ranked``: eval ratings the accuracy is over; ``read``:
        eval ratings in the split (more than ``ranked`` when
        ``max_eval_examples`` sampled them).
      seconds_per_epoch: Measured training time per epoch trained.
      warm_started: Embedding rows carried over per table (empty if none).
      epochs_trained: Epochs begun (the last one cut short when the step
        budget ran out in it).
      steps_trained: Optimizer steps taken.
      stop_reason: ``epochs`` (every epoch trained) or ``max_steps`` (the
        step budget ended training first).
      epoch_seconds: Wall seconds of each epoch (the first includes tracing).
    """

    model: RetrievalModel
    corpus: data.Corpus
    tf_transform_output: tft.TFTransformOutput
    transform_layer: tf.keras.layers.Layer
    config: config_lib.TrainerConfig
    loss: str
    eval_metrics: Dict[str, Dict[str, float]]
    eval_examples: Dict[str, int]
    seconds_per_epoch: float
    warm_started: Dict[str, int]
    epochs_trained: int = 0
    steps_trained: int = 0
    stop_reason: str = STOPPED_BY_EPOCHS
    epoch_seconds: List[float] = dataclasses.field(default_factory=list)


class StepBudget(tf.keras.callbacks.Callback):
    """Stops training after a number of optimizer steps, whatever epochs are left.

    Keras checks ``model.stop_training`` after every batch, so the epoch in
    which the budget runs out ends there (its ``on_epoch_end`` still runs)
    and no further epoch starts.

    Attributes:
      max_steps: The budget.
      steps: Steps (batches) taken so far.
      reached: Whether the budget stopped training.
    """

    def __init__(self, max_steps: int):
        """Starts with no step taken.

        Args:
          max_steps: Optimizer steps after which training stops (>= 1).
        """
        super().__init__()
        # Batch logs stay tensors: no host sync per step.
        self._supports_tf_logs = True
        self.max_steps = max_steps
        self.steps = 0
        self.reached = False

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, tf.Tensor]] = None) -> None:
        """Counts the step and stops training once the budget is spent.

        Args:
          batch: The batch's index within the epoch.
          logs: Unused.
        """
        self.steps += 1
        if self.steps >= self.max_steps:
            self.reached = True
            self.model.stop_training = True


class EpochProgress(tf.keras.callbacks.Callback):
    """Logs each epoch's loss, time and the time left as a progress line of the running component.

    With a ``StepBudget`` the epochs shown are those the budget leaves
    (``min(epochs, ceil(max_steps / steps per epoch))`` once the steps of an
    epoch are known), the time left counts the steps left, and the epoch in
    which the budget runs out says so.
    """

    def __init__(
        self,
        epochs: int,
        clock: Callable[[], float] = time.perf_counter,
        budget: Optional[StepBudget] = None,
    ):
        """Starts before the first epoch.

        Args:
          epochs: Epochs of the whole fit.
          clock: Seconds, for the epochs' times.
          budget: The fit's step budget, or None.
        """
        super().__init__()
        self._epochs = epochs
        self._clock = clock
        self._budget = budget
        self._started = 0.0
        self._seconds: List[float] = []
        self._steps_at_begin = 0
        self._steps_per_epoch: Optional[int] = None

    @property
    def epoch_seconds(self) -> List[float]:
        """Wall seconds of each epoch trained so far (the last one possibly cut short)."""
        return list(self._seconds)

    @property
    def steps_per_epoch(self) -> Optional[int]:
        """Steps of a whole epoch: from Keras when the data's size is known, else counted; None before."""
        known = (getattr(self, "params", None) or {}).get("steps")
        return int(known) if known else self._steps_per_epoch

    def planned_epochs(self) -> int:
        """The epochs the fit will run: ``epochs``, or fewer when the step budget ends it first."""
        per_epoch = self.steps_per_epoch
        if self._budget is None or not per_epoch:
            return self._epochs
        return min(self._epochs, -(-self._budget.max_steps // per_epoch))

    def on_epoch_begin(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        """Starts the epoch's clock.

        Args:
          epoch: The epoch's index, from 0.
          logs: Unused.
        """
        self._started = self._clock()
        if self._budget is not None:
            self._steps_at_begin = self._budget.steps

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        """Logs ``epoch i/n: loss L (Ts)``, with ``; about Ss left`` before the last.

        The time left is the mean epoch time so far times the epochs left
        (with a step budget: the steps left over the steps of an epoch). The
        epoch the budget ends says ``; step budget of N steps reached`` instead.

        Args:
          epoch: The epoch's index, from 0.
          logs: Keras's epoch results, with ``loss``.
        """
        self._seconds.append(self._clock() - self._started)
        budget = self._budget
        if budget is not None and self._steps_per_epoch is None and not budget.reached:
            self._steps_per_epoch = budget.steps - self._steps_at_begin
        planned = self.planned_epochs()
        left = float(planned - (epoch + 1))
        if budget is not None and self.steps_per_epoch:
            steps_left = min(
                budget.max_steps - budget.steps,
                (self._epochs - (epoch + 1)) * self.steps_per_epoch,
            )
            left = max(steps_left, 0) / self.steps_per_epoch
        if budget is not None and budget.reached:
            suffix = f"; step budget of {budget.max_steps} steps reached"
            planned = epoch + 1
        elif left > 0:
            suffix = f"; about {sum(self._seconds) / len(self._seconds) * left:.0f}s left"
        else:
            suffix = ""
        log_progress(
            "epoch %d/%d: loss %.4g (%.1fs%s)",
            epoch + 1,
            planned,
            (logs or {}).get("loss", float("nan")),
            self._seconds[-1],
            suffix,
        )


class StepProgress(tf.keras.callbacks.Callback):
    """Logs progress lines within long epochs: the step, and the time left in the epoch.

    At most one line every ``interval`` seconds, so short epochs (100k
    ratings: 20 steps) log none, and a 5M-rating epoch (~1,000 steps of
    about half a second) one a minute between its epoch lines. A streamed
    epoch has no known length: the time left is then that of the step
    budget, when there is one.
    """

    def __init__(
        self,
        interval: float = STEP_PROGRESS_SECONDS,
        clock: Callable[[], float] = time.perf_counter,
        budget: Optional[StepBudget] = None,
    ):
        """Starts before the first epoch.

        Args:
          interval: Least seconds between two lines.
          clock: Seconds.
          budget: The fit's step budget, or None; the time left then stops
            where the budget does. Must come before this callback in the
            fit's list, so its step count includes the current step.
        """
        super().__init__()
        # Batch logs stay tensors: no host sync per step.
        self._supports_tf_logs = True
        self._interval = interval
        self._clock = clock
        self._budget = budget
        self._epoch = 0
        self._started = 0.0
        self._last_line = 0.0

    def on_epoch_begin(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        """Starts the epoch's clock.

        Args:
          epoch: The epoch's index, from 0.
          logs: Unused.
        """
        self._epoch = epoch
        self._started = self._last_line = self._clock()

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, tf.Tensor]] = None) -> None:
        """Logs ``epoch i: step s/S (Ts in; about Ls left in the epoch)`` once ``interval`` has passed.

        Without a known epoch length: ``epoch i: step s (Ts in; about Ls left
        of the B-step budget)``, or no time left without a budget.

        Args:
          batch: The batch's index within the epoch.
          logs: Unused.
        """
        now = self._clock()
        if now - self._last_line < self._interval:
            return
        self._last_line = now
        done, elapsed = batch + 1, now - self._started
        steps = (getattr(self, "params", None) or {}).get("steps")
        if not steps:
            if self._budget is None:
                log_progress("epoch %d: step %d (%.0fs in)", self._epoch + 1, done, elapsed)
                return
            log_progress(
                "epoch %d: step %d (%.0fs in; about %.0fs left of the %d-step budget)",
                self._epoch + 1,
                done,
                elapsed,
                elapsed / done * max(self._budget.max_steps - self._budget.steps, 0),
                self._budget.max_steps,
            )
            return
        left = steps - done
        if self._budget is not None:
            left = min(left, self._budget.max_steps - self._budget.steps)
        log_progress(
            "epoch %d: step %d/%d (%.0fs in; about %.0fs left in the epoch)",
            self._epoch + 1,
            done,
            steps,
            elapsed,
            elapsed / done * max(left, 0),
        )


class GlobalBatchRetrievalModel(RetrievalModel):
    """``RetrievalModel`` whose exact softmax loss is the global batch's mean on N replicas.

    Under a multi-worker strategy Keras sums the replicas' losses and
    gradients. The in-batch softmax loss (TFRS's) is a sum over the batch, so
    its sums are the global batch's already; the exact softmax loss is a mean
    over the replica's share of the batch and is divided by the number of
    replicas (``distribution.mean_over_replicas``). With one replica the loss
    is the parent's, unchanged.
    """

    def compute_loss(self, inputs: Dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        """The parent's loss, the exact softmax's as a share of the global mean.

        Args:
          inputs: A batch of transformed rating features (the replica's share).
          training: Whether the loss is computed for a training step.

        Returns:
          The scalar loss.
        """
        loss = super().compute_loss(inputs, training=training)
        if self._loss_name == config_lib.LOSS_EXACT:
            return distribution.mean_over_replicas(loss)
        return loss


def _optimizer(config: config_lib.TrainerConfig) -> tf.keras.optimizers.Optimizer:
    optimizers = {
        "adam": tf.keras.optimizers.Adam,
        "adagrad": tf.keras.optimizers.Adagrad,
        "sgd": tf.keras.optimizers.SGD,
    }
    return optimizers[config.optimizer](learning_rate=config.learning_rate)


def query_tower_inputs(
    spec: Dict[str, object], table_sizes: Dict[str, int], config: config_lib.TrainerConfig
) -> TowerInputs:
    """The query tower's inputs: user features, history and (clipped) time.

    Args:
      spec: The transformed feature spec.
      table_sizes: ``sizes.categorical_sizes`` of the transform output.
      config: The hyperparameters.

    Returns:
      The query tower's inputs; never a feature naming the rating session.
    """
    excluded = list(features.SESSION_NAMING_FEATURES)
    if not config.time_in_query:
        excluded.append(features.transformed_name(features.TIMESTAMP, features.Z_SCORE))
    if not config.user_id_in_query:
        excluded.append(features.transformed_name(features.USER_ID, features.INDEX))
    inputs = tower_inputs(spec, table_sizes, features.QUERY_FEATURES, excluded)
    if not config.history_in_query:
        return inputs
    movie_ids = table_sizes[features.transformed_name(features.MOVIE_ID, features.INDEX)]
    return TowerInputs(
        categorical=inputs.categorical,
        multivalent={**inputs.multivalent, features.MOVIE_HISTORY: movie_ids},
        numeric=inputs.numeric,
    )


def build_towers(tf_transform_output: tft.TFTransformOutput, config: config_lib.TrainerConfig):
    """Builds the query and candidate towers from the transform output.

    Args:
      tf_transform_output: The Transform output.
      config: The hyperparameters.

    Returns:
      ``(query_tower, candidate_tower)``.
    """
    spec = tf_transform_output.transformed_feature_spec()
    table_sizes = sizes.categorical_sizes(tf_transform_output)
    excluded = () if config.use_title_hash else (
        features.transformed_name(features.MOVIE_TITLE, features.HASH),
    )
    query_inputs = query_tower_inputs(spec, table_sizes, config)
    candidate_inputs = tower_inputs(spec, table_sizes, features.CANDIDATE_FEATURES, excluded)
    logging.info("Query tower inputs: %s", query_inputs)
    logging.info("Candidate tower inputs: %s", candidate_inputs)
    layers = config.tower_layers
    # Cosine scores over a temperature: both outputs unit length, the
    # query's scaled by 1 / temperature (so Q C^T needs nothing else).
    normalize = config.temperature > 0
    query_scale = 1.0 / config.temperature if normalize else 1.0
    return (
        Tower(query_inputs, config.embedding_dim, layers, config.output_dim,
              normalize=normalize, scale=query_scale, name="query_tower"),
        Tower(candidate_inputs, config.embedding_dim, layers, config.output_dim,
              normalize=normalize, name="candidate_tower"),
    )


def build_model(
    tf_transform_output: tft.TFTransformOutput,
    corpus: data.Corpus,
    rows: tf.lookup.StaticHashTable,
    rated: data.Interactions,
    loss: str,
    config: config_lib.TrainerConfig,
) -> "GlobalBatchRetrievalModel":
    """The compiled retrieval model the Trainer fits (call under the strategy's scope).

    Args:
      tf_transform_output: The Transform output.
      corpus: The candidate corpus.
      rows: ``data.corpus_rows(corpus)``.
      rated: The training split's interactions (the users' histories, the
        movies' training frequencies for the in-batch log-Q correction).
      loss: ``config.resolved_loss(corpus.size)``.
      config: The hyperparameters.

    Returns:
      The model, compiled with the configured optimizer; its variables are
      created on first use (``_build``).
    """
    probabilities = tf.cast(rated.movie_counts(corpus.size), tf.float32) + 1.0
    probabilities /= tf.reduce_sum(probabilities)
    user_ids = sizes.categorical_sizes(tf_transform_output)[
        features.transformed_name(features.USER_ID, features.INDEX)
    ]
    history = UserHistory(rated.user_index, rated.movie_rows, rated.timestamps, user_ids)
    query_tower, candidate_tower = build_towers(tf_transform_output, config)
    model = GlobalBatchRetrievalModel(
        query_tower,
        candidate_tower,
        corpus,
        loss,
        history,
        probabilities,
        history_in_query=config.history_in_query,
        exclude_rated_from_loss=config.exclude_rated_from_loss,
        history_keep_rate=config.history_keep_rate,
    )
    model.set_rows(rows)
    model.compile(optimizer=_optimizer(config))
    return model


def train(
    train_files: data.FilePatterns,
    eval_files: data.FilePatterns,
    candidate_files: data.FilePatterns,
    transform_output_dir: str,
    config: config_lib.TrainerConfig,
    base_model_dir: Optional[str] = None,
    log_dir: Optional[str] = None,
    callbacks: Sequence[tf.keras.callbacks.Callback] = (),
    split_sizes: Optional[Mapping[str, int]] = None,
) -> TrainedModel:
    """Trains the two-tower model and measures it on the eval split.

    Args:
      train_files: Glob(s) of raw training examples.
      eval_files: Glob(s) of raw eval examples.
      candidate_files: Glob(s) of the raw candidate corpus.
      transform_output_dir: The Transform graph directory.
      config: The hyperparameters.
      base_model_dir: A model exported by ``export.export_serving_model`` to
        warm-start from, or None.
      log_dir: TensorBoard log directory, or None. Under a multi-worker
        strategy only the chief's logs stay (Keras's TensorBoard callback
        writes the others' to a temporary directory inside it and deletes it).
      callbacks: More Keras callbacks for the fit (e.g. a benchmark's timer).
      split_sizes: Ratings per split (``train``, ``eval``) when known, e.g.
        recorded by the ExampleGen: a split known to be bigger than
        ``config.cache_max_examples`` streams from the start instead of
        being read into memory until it passes the limit.

    Returns:
      The trained model and its measurements.

    With ``TF_CONFIG`` naming more than one training task, every task calls
    this with the same arguments: the model is built and trained under
    ``MultiWorkerMirroredStrategy`` (``distribution``), ``config.batch_size``
    is the global batch (each of N tasks computes ``batch_size / N`` ratings
    a step), and every task reads the whole training split for the users'
    histories and measures the same eval split.

    With ``config.max_steps`` set, training stops after that many optimizer
    steps even if epochs are left (``TrainedModel.stop_reason``).
    """
    strategy = distribution.strategy_from_environment()
    tf.keras.utils.set_random_seed(config.seed)
    tf_transform_output = tft.TFTransformOutput(transform_output_dir)
    transform_layer = tf_transform_output.transform_features_layer()
    corpus = data.load_corpus(candidate_files, tf_transform_output, transform_layer)
    rows = data.corpus_rows(corpus)
    loss = config.resolved_loss(corpus.size)

    train_dataset = distribution.shard_by_example(
        data.transformed_ratings(
            train_files,
            tf_transform_output,
            transform_layer,
            config.batch_size,
            config.shuffle_buffer,
            config.seed,
            cache=config.cache_examples,
            cache_max_examples=config.cache_max_examples,
            known_examples=(split_sizes or {}).get("train"),
        )
    )
    rated = data.interactions(train_dataset, rows)
    train_counts = rated.movie_counts(corpus.size)
    # Every variable (the histories' too) is created under the strategy.
    with strategy.scope():
        model = build_model(tf_transform_output, corpus, rows, rated, loss, config)
        history = model.user_history

        eval_dataset, eval_read = _eval_ratings(
            eval_files, tf_transform_output, transform_layer, config
        )
        _build(model, eval_dataset)
        carried = {}
        if base_model_dir:
            carried = warm_start.warm_start(model, tf_transform_output, base_model_dir)

    if config.history_in_query and config.history_keep_rate >= 1.0:
        logging.warning(
            "history_keep_rate 1: every training query's history is the user's whole history "
            "less the rated movie, which a model can learn to subtract; expect the training "
            "loss to fall while the model as served falls towards popularity (trainer/README.md)"
        )
    budget = StepBudget(config.max_steps) if config.max_steps is not None else None
    progress = EpochProgress(config.epochs, budget=budget)
    fit_callbacks: List[tf.keras.callbacks.Callback] = [progress, StepProgress(budget=budget)]
    if budget is not None:
        fit_callbacks.insert(0, budget)
    if log_dir:
        fit_callbacks.append(tf.keras.callbacks.TensorBoard(log_dir=log_dir))
    fit_callbacks.extend(callbacks)
    logging.info(
        "Training with %s over %d candidates: %d epochs%s",
        loss,
        corpus.size,
        config.epochs,
        f", at most {config.max_steps} steps" if budget is not None else "",
    )
    started = time.perf_counter()
    model.fit(train_dataset, epochs=config.epochs, callbacks=fit_callbacks, verbose=0)
    epochs_trained = len(progress.epoch_seconds)
    seconds_per_epoch = (time.perf_counter() - started) / max(epochs_trained, 1)
    steps_trained = int(model.optimizer.iterations.numpy())
    stop_reason = _stop_reason(config, budget, progress, epochs_trained, steps_trained)
    logging.info(
        "Trained %d epochs, %d steps; stopped by %s", epochs_trained, steps_trained, stop_reason
    )

    time_features = metrics.query_time_features(
        transform_layer,
        tf_transform_output.raw_feature_spec(),
        int(history.latest_time.numpy()),
    )
    evaluation = metrics.evaluate(model, eval_dataset, time_features, train_counts)
    eval_examples = {
        "ranked": evaluation.ranked,
        "read": eval_read if eval_read is not None else evaluation.ranked,
    }
    logging.info(
        "Eval top-k accuracy over %d of %d eval ratings%s: %s",
        eval_examples["ranked"],
        eval_examples["read"],
        " (a uniform sample, max_eval_examples)" if eval_examples["ranked"] < eval_examples["read"] else "",
        evaluation.accuracy,
    )
    return TrainedModel(
        model=model,
        corpus=corpus,
        tf_transform_output=tf_transform_output,
        transform_layer=transform_layer,
        config=config,
        loss=loss,
        eval_metrics={
            name: {str(k): v for k, v in values.items()} for name, values in evaluation.accuracy.items()
        },
        eval_examples=eval_examples,
        seconds_per_epoch=seconds_per_epoch,
        warm_started=carried,
        epochs_trained=epochs_trained,
        steps_trained=steps_trained,
        stop_reason=stop_reason,
        epoch_seconds=progress.epoch_seconds,
    )


def _stop_reason(
    config: config_lib.TrainerConfig,
    budget: Optional[StepBudget],
    progress: EpochProgress,
    epochs_trained: int,
    steps_trained: int,
) -> str:
    """``max_steps`` if the step budget ended training before its epochs did, else ``epochs``."""
    if budget is None or not budget.reached:
        return STOPPED_BY_EPOCHS
    per_epoch = progress.steps_per_epoch
    if per_epoch and epochs_trained == config.epochs and steps_trained == config.epochs * per_epoch:
        return STOPPED_BY_EPOCHS  # The budget ran out on the last step of the last epoch.
    return STOPPED_BY_MAX_STEPS


def _eval_ratings(
    eval_files: data.FilePatterns,
    tf_transform_output: tft.TFTransformOutput,
    transform_layer: tf.keras.layers.Layer,
    config: config_lib.TrainerConfig,
) -> Tuple[tf.data.Dataset, Optional[int]]:
    """The eval split, or its seeded sample under ``max_eval_examples``.

    Read twice (building the model, then evaluating): transformed once into
    memory when sampled or with ``cache_examples``.

    Returns:
      The eval batches, and the ratings read from the split when sampled
      (None when the whole split is the dataset).
    """
    if config.max_eval_examples is None:
        dataset = data.transformed_ratings(
            eval_files, tf_transform_output, transform_layer, _EVAL_BATCH_SIZE,
            cache=config.cache_examples, cache_max_examples=config.cache_max_examples,
        )
        return dataset, None
    sample = data.sampled_ratings(
        eval_files, tf_transform_output, transform_layer, _EVAL_BATCH_SIZE,
        config.max_eval_examples, retrieval_metrics.EVAL_SAMPLE_SEED,
    )
    return sample.dataset, sample.read


def _build(model: RetrievalModel, dataset: tf.data.Dataset) -> None:
    """Creates every variable by running both towers once."""
    batch = next(iter(dataset.take(1)))
    model.query_tower(model.with_history(batch, model.history_rows(batch)))
    model.corpus_embeddings()
