"""The Trainer's distribution strategy and who writes what, from ``TF_CONFIG``.

Without ``TF_CONFIG`` (or with a cluster of one task) the Trainer runs as a
single process under TensorFlow's default strategy. When ``TF_CONFIG`` names
a cluster of more than one training task (``chief`` and ``worker`` entries,
as Kubeflow's TFJob and Vertex AI set it), every task runs the same Trainer
under ``tf.distribute.MultiWorkerMirroredStrategy``: each holds a copy of
every variable, and gradients are summed across tasks each step by
collective all-reduce. The chief is the ``chief`` task, else worker 0; only
its files are kept (``chief_write_dir``).
"""

import contextlib
import json
import os
from typing import Any, Dict, Iterator

import tensorflow as tf

TF_CONFIG = "TF_CONFIG"
CHIEF = "chief"
WORKER = "worker"
_TEMP_PREFIX = "workertemp_"


def _tf_config() -> Dict[str, Any]:
    return json.loads(os.environ.get(TF_CONFIG) or "{}")


def num_workers() -> int:
    """Training tasks in the ``TF_CONFIG`` cluster (chief and workers).

    Returns:
      Their number; 1 without ``TF_CONFIG``.
    """
    cluster = _tf_config().get("cluster", {})
    return max(1, len(cluster.get(CHIEF, [])) + len(cluster.get(WORKER, [])))


def is_chief() -> bool:
    """Whether this task writes the Trainer's outputs.

    Returns:
      True without a cluster, for the ``chief`` task, and for worker 0 of a
      cluster without a ``chief``; False for every other task.
    """
    config = _tf_config()
    cluster = config.get("cluster", {})
    if not cluster:
        return True
    task = config.get("task", {})
    if CHIEF in cluster:
        return task.get("type") == CHIEF
    return task.get("type") == WORKER and int(task.get("index", 0)) == 0


def strategy_from_environment() -> tf.distribute.Strategy:
    """The strategy to build and train the model under.

    Must be called before TensorFlow runs any operation in the process:
    collective communication is set up when the multi-worker strategy is
    created.

    Returns:
      ``MultiWorkerMirroredStrategy`` (collective implementation ``AUTO``:
      ring all-reduce on CPUs, NCCL on GPUs) when ``TF_CONFIG`` names more than
      one training task; else the default strategy, exactly as without
      ``TF_CONFIG``.
    """
    if num_workers() == 1:
        return tf.distribute.get_strategy()
    return tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.AUTO
        )
    )


def shard_by_example(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """Lets a multi-worker strategy split every batch of a dataset between the workers.

    With the ``DATA`` auto-shard policy every worker runs the whole input
    pipeline (the same shuffle, from the same seed) and keeps its share of
    each batch: each global batch of ``batch_size`` becomes
    ``batch_size / replicas`` ratings per replica. File sharding would need
    at least as many files as workers, which ExampleGen does not promise.
    Datasets that are not distributed ignore the option.

    Args:
      dataset: Batches of the global batch size.

    Returns:
      The same dataset, with the ``DATA`` auto-shard policy.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def mean_over_replicas(loss: tf.Tensor) -> tf.Tensor:
    """A replica's mean loss as its share of the global batch's mean loss.

    Keras sums each replica's loss and gradients across the replicas; a
    loss that is a mean over the replica's share of the batch is divided by
    the number of replicas so that the sums are the global batch's mean.

    Args:
      loss: The replica's mean loss.

    Returns:
      ``loss / replicas``; ``loss`` itself with one replica.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas == 1:
        return loss
    return loss / replicas


def write_dir_for(path: str) -> str:
    """Where this task writes what belongs at ``path``.

    Args:
      path: The output directory (local, ``gs://``, ``s3://``).

    Returns:
      ``path`` on the chief. On any other task ``workertemp_<index>/<name>``
      beside ``path`` (as TensorFlow's multi-worker Keras tutorial places
      it), so that nothing of it lands inside the chief's output. ``path``
      itself is created too, since TFX's Trainer executor checks on every
      task that it exists after ``run_fn``.
    """
    if is_chief():
        return path
    path = path.rstrip("/")
    index = _tf_config().get("task", {}).get("index", 0)
    tf.io.gfile.makedirs(path)
    temp_dir = os.path.join(
        os.path.dirname(path), f"{_TEMP_PREFIX}{index}", os.path.basename(path)
    )
    tf.io.gfile.makedirs(temp_dir)
    return temp_dir


@contextlib.contextmanager
def chief_write_dir(path: str) -> Iterator[str]:
    """Yields ``write_dir_for(path)``; on a task other than the chief, deletes it afterwards.

    Every task writes (a step that reads distributed variables may need all
    of them to take part, as TensorFlow's multi-worker Keras tutorial does
    for saving); only the chief's files stay.

    Args:
      path: The output directory.

    Yields:
      The directory to write into.
    """
    target = write_dir_for(path)
    try:
        yield target
    finally:
        if target != path:
            tf.io.gfile.rmtree(os.path.dirname(target))
