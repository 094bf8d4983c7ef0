# The pipeline image. Every Kubeflow Pipelines task runs it with the command
# the compiled spec gives (TFX's v2 executor entry point,
#   python -m tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor),
# and Beam workers on Dataflow, Flink or Spark can run it too: its own entry
# point is the Beam SDK worker's boot program.
#
#   docker build --platform linux/amd64 -t REGISTRY/movielens-tfx:TAG .
#
# linux/amd64 only: ml-metadata and tfx-bsl ship no other Linux wheels. The
# Debian 12 base has glibc 2.36, on which this TFX 1.16 set installs.

# The Beam SDK worker boot program, from the SDK image of the same Beam and
# Python versions as constraints.txt.
FROM --platform=linux/amd64 apache/beam_python3.10_sdk:2.59.0 AS beam_sdk

FROM --platform=linux/amd64 python:3.10-slim-bookworm

# Keras 2 (tf-keras) for TFRS and tf.Transform: must be set before TensorFlow
# is first imported, and TFX's entry point imports it before our code.
ENV TF_USE_LEGACY_KERAS=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The sources stay in the image for Dataflow's --setup_file; tasks run from
# "/" (the last WORKDIR) so that they import the installed package.
WORKDIR /opt/movielens-tfx

# The pinned set first: this layer is rebuilt only when the pins change.
COPY constraints.txt ./
RUN pip install -r constraints.txt

# The project itself, against the same constraints (nothing more to fetch).
COPY setup.py ./
COPY pipeline/ pipeline/
COPY components/ components/
COPY transform_fn/ transform_fn/
COPY trainer/ trainer/
COPY retrieval_metrics/ retrieval_metrics/
COPY movielens_simulator/ movielens_simulator/
RUN pip install -c constraints.txt . \
    && pip check \
    && rm -rf build *.egg-info

# Fail the build, not a task, if what the compiled spec relies on is missing:
# the executor entry point, and the curated schemas where
# pipeline/kubeflow/runner.py (IMAGE_SCHEMA_DIR) tells ImportSchemaGen to look.
WORKDIR /
RUN python -c "import importlib.util, os, sys; \
from pipeline import config; \
assert importlib.util.find_spec('tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor'); \
assert config.SCHEMA_DIR == '/usr/local/lib/python3.10/site-packages/pipeline/schema', config.SCHEMA_DIR; \
assert all(os.path.exists(config.schema_path(name)) for name in config.SCHEMAS)"

COPY --from=beam_sdk /opt/apache/beam /opt/apache/beam
ENTRYPOINT ["/opt/apache/beam/boot"]
