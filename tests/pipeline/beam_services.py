"""Beam's Python job server and an external SDK worker pool, as local processes.

The shape of a Flink or Spark deployment with worker-pool sidecars: the job
service runs the pipeline's stages and asks the worker pool (a separate
process, ``worker_pool_main``) for SDK workers, which the pool starts as its
own child processes. Each service runs in a session of its own, so stopping
its process group also ends the SDK workers it started.
"""

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Dict, Iterator, List

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JOB_SERVER_MODULE = "apache_beam.runners.portability.local_job_service_main"
WORKER_POOL_MODULE = "apache_beam.runners.worker.worker_pool_main"
# What the worker pool logs (a warning, so it shows without logging set up)
# for each SDK worker process it starts.
WORKER_STARTED = "Starting worker with command"
# What the job server logs for each job it completed.
JOB_DONE = "with state DONE."
_START_SECONDS = 120
_STOP_SECONDS = 15
_TAIL_LINES = 40


@dataclasses.dataclass(frozen=True)
class Service:
    """One started service.

    Attributes:
      name: For messages.
      process: The service's process (leader of its own process group).
      port: Where it listens on localhost.
      log_file: Its stdout and stderr.
    """

    name: str
    process: subprocess.Popen
    port: int
    log_file: str

    @property
    def address(self) -> str:
        """``localhost:PORT``."""
        return f"localhost:{self.port}"

    def log(self) -> str:
        """The log so far."""
        with open(self.log_file, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def tail(self) -> str:
        """The log's last lines, headed by the service's name."""
        lines = self.log().splitlines()[-_TAIL_LINES:]
        return f"--- {self.name} ({self.log_file}), last {len(lines)} lines:\n" + "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class BeamServices:
    """A running job server and worker pool.

    Attributes:
      job_server: Beam's Python job service (``local_job_service_main``).
      worker_pool: The external SDK worker pool (``worker_pool_main``).
    """

    job_server: Service
    worker_pool: Service

    def tails(self) -> str:
        """Both logs' last lines, to show on a failure."""
        return self.job_server.tail() + "\n" + self.worker_pool.tail()


def free_ports(count: int) -> List[int]:
    """Distinct TCP ports free on localhost right now.

    Args:
      count: How many.

    Returns:
      The port numbers.
    """
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                  for _ in range(count)]
        for probe in probes:
            probe.bind(("localhost", 0))
        return [probe.getsockname()[1] for probe in probes]


def service_env() -> Dict[str, str]:
    """The environment of the services and the SDK workers they start.

    The worker pool starts each SDK worker as ``python -c ...``, found on
    ``PATH``: this interpreter's folder comes first. The workers import this
    project (the ExampleGen's and Transform's code) and TensorFlow with
    Keras 2.

    Returns:
      This process's environment with ``PATH``, ``PYTHONPATH`` and
      ``TF_USE_LEGACY_KERAS`` set.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    env["TF_USE_LEGACY_KERAS"] = "1"
    return env


def _start(name: str, command: List[str], port: int, log_file: str) -> Service:
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=service_env(), cwd=REPO_ROOT, start_new_session=True,
        )
    return Service(name, process, port, log_file)


def _wait_until_listening(service: Service) -> None:
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(
                f"{service.name} exited with status {service.process.returncode} before "
                f"listening on {service.address}\n{service.tail()}"
            )
        try:
            with socket.create_connection(("localhost", service.port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(
        f"{service.name} not listening on {service.address} after {_START_SECONDS} s\n{service.tail()}"
    )


def _stop(service: Service) -> None:
    """Ends the service's process group: the service and the SDK workers it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(service.process.pid, signal.SIGTERM)
    try:
        service.process.wait(timeout=_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(service.process.pid, signal.SIGKILL)
        service.process.wait()


@contextlib.contextmanager
def running(log_dir: str) -> Iterator[BeamServices]:
    """Starts a job server and a worker pool; stops both on leaving, on failure too.

    Args:
      log_dir: Where the services' logs (``job_server.log``,
        ``worker_pool.log``) and the job server's staging folder go.

    Yields:
      The services, both accepting connections.

    Raises:
      RuntimeError: If a service exits or does not listen in time (with the
        end of its log).
    """
    job_port, pool_port = free_ports(2)
    commands = [
        ("job server", job_port,
         [JOB_SERVER_MODULE, f"--port={job_port}", f"--staging_dir={os.path.join(log_dir, 'staging')}"]),
        ("worker pool", pool_port, [WORKER_POOL_MODULE, f"--service_port={pool_port}"]),
    ]
    started: List[Service] = []
    try:
        for name, port, args in commands:
            log_file = os.path.join(log_dir, name.replace(" ", "_") + ".log")
            started.append(_start(name, [sys.executable, "-m", *args], port, log_file))
        for service in started:
            _wait_until_listening(service)
        yield BeamServices(*started)
    finally:
        for service in reversed(started):
            _stop(service)
