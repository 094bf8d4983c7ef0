"""One writer per work dir: the lock, and run/retrain/CLI refusing beside a holder."""

import contextlib
import os
import re
import signal
import subprocess
import sys

import pytest

from pipeline import cli
from pipeline.local import retrain, runner as local_runner
from pipeline import config as config_lib
from pipeline.local.work_dir_lock import LOCK_FILE, WorkDirBusyError, WorkDirLock, read_holder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Takes the lock, says so, and holds it until its stdin closes. Light: only
# the lock module is imported.
_HOLD = (
    "import sys\n"
    "from pipeline.local.work_dir_lock import WorkDirLock\n"
    "with WorkDirLock(sys.argv[-1]):\n"
    "    print('locked', flush=True)\n"
    "    sys.stdin.read()\n"
)
_TRY = (
    "import sys\n"
    "from pipeline.local.work_dir_lock import WorkDirLock, WorkDirBusyError\n"
    "try:\n"
    "    with WorkDirLock(sys.argv[-1]):\n"
    "        pass\n"
    "except WorkDirBusyError as error:\n"
    "    sys.exit(str(error))\n"
)
STARTED = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


@contextlib.contextmanager
def held_by_another_process(work_dir: str, *command: str):
    """Runs a process that holds the lock, with ``command`` in its argv."""
    holder = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-c", _HOLD, *command, work_dir],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        if holder.poll() is None:
            holder.stdin.close()
            holder.wait(timeout=30)


def try_lock_in_another_process(work_dir: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _TRY, work_dir],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )


def _config(work_dir: str) -> config_lib.PipelineConfig:
    return config_lib.PipelineConfig(
        pipeline_name="locked",
        pipeline_root=os.path.join(work_dir, "root"),
        push_destination=os.path.join(work_dir, "serving"),
    )


def test_a_second_process_is_refused_at_once_and_told_who_holds_the_lock(tmp_path):
    work_dir = str(tmp_path)
    with held_by_another_process(work_dir, "retrain", "--work-dir", work_dir) as holder:
        refused = try_lock_in_another_process(work_dir)
    assert refused.returncode == 1
    message = refused.stderr.strip()
    assert "\n" not in message
    assert message.startswith(f"work dir {work_dir} is in use by another run or retrain (")
    assert f"pid {holder.pid}, " in message
    assert f"retrain --work-dir {work_dir}" in message
    assert re.search(f"since {STARTED}\\)", message)
    assert message.endswith("only one may write to a work dir at a time")


def test_the_lock_is_free_again_after_the_holder_exits_or_is_killed(tmp_path):
    work_dir = str(tmp_path)
    with held_by_another_process(work_dir):
        pass
    assert try_lock_in_another_process(work_dir).returncode == 0
    with held_by_another_process(work_dir) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        # The killed holder's record stays in the file, but the lock is free.
        assert read_holder((tmp_path / LOCK_FILE).read_text()).pid == holder.pid
        with WorkDirLock(work_dir):
            assert read_holder((tmp_path / LOCK_FILE).read_text()).pid == os.getpid()


def test_the_holder_record_is_cleared_on_release(tmp_path):
    with WorkDirLock(str(tmp_path)):
        record = read_holder((tmp_path / LOCK_FILE).read_text())
        assert record.pid == os.getpid() and re.fullmatch(STARTED, record.started)
    assert (tmp_path / LOCK_FILE).read_text() == ""
    assert read_holder("") is None and read_holder("pid 12 since noon") is None


def test_the_lock_is_reentrant_within_a_process_and_released_by_the_outermost_exit(tmp_path):
    work_dir = str(tmp_path / "new")  # Created by the lock.
    with WorkDirLock(work_dir):
        with WorkDirLock(os.path.join(work_dir, ".")):  # The same folder, spelled otherwise.
            pass
        assert try_lock_in_another_process(work_dir).returncode == 1
    assert try_lock_in_another_process(work_dir).returncode == 0


def test_a_run_refuses_before_touching_the_work_dir(tmp_path):
    work_dir = str(tmp_path)
    with held_by_another_process(work_dir, "run"), pytest.raises(WorkDirBusyError, match="`-c run"):
        local_runner.run(
            _config(work_dir),
            local_runner.metadata_path(work_dir),
            os.path.join(work_dir, "last_run.log"),
            lambda _: None,
        )
    assert sorted(os.listdir(work_dir)) == [LOCK_FILE]


def test_a_retrain_refuses_beside_a_run_and_records_nothing(tmp_path):
    work_dir = str(tmp_path)
    with held_by_another_process(work_dir, "run"), pytest.raises(WorkDirBusyError):
        retrain.retrain(_config(work_dir), work_dir, lambda _: None)
    assert sorted(os.listdir(work_dir)) == [LOCK_FILE]


def _cli(command: str, work_dir: str):
    return cli.main([command, "--source", "synthetic", "--synthetic-ratings", "200",
                     "--work-dir", work_dir])


def test_cli_retrain_beside_a_holder_exits_3_with_one_line(tmp_path, capsys):
    work_dir = str(tmp_path)
    with held_by_another_process(work_dir, "run"):
        assert _cli("retrain", work_dir) == 3
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(f"error: work dir {work_dir} is in use by another run or retrain")


def test_cli_run_beside_a_holder_exits_3_with_one_line(tmp_path, capsys):
    work_dir = str(tmp_path)
    with held_by_another_process(work_dir, "retrain"):
        assert _cli("run", work_dir) == 3
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(f"error: work dir {work_dir} is in use by another run or retrain")
