"""VersionedPusher: executor Do() on real artifacts, atomicity under a crash, component."""

import os
import shutil

import pytest
import tensorflow as tf
from tfx import types
from tfx.dsl.io import fileio
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts, standard_component_specs

from components.versioned_pusher import executor, latest_pushed_model, publish, spec
from components.versioned_pusher.component import VersionedPusher
from tests.pusher.versioned_pusher_testing import (
    blessing_artifact,
    model_artifact,
    run_pusher,
)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return model_artifact(str(tmp_path_factory.mktemp("trainer") / "model"))


def _visible(base):
    """What TF Serving would consider: integer-named folders."""
    return sorted(name for name in os.listdir(base) if name.isdigit())


def _call(version_dir):
    loaded = tf.saved_model.load(version_dir)
    query = tf.train.Example()
    query.features.feature["user_id"].bytes_list.value.append(b"u1")
    outputs = loaded.signatures["serving_default"](
        examples=tf.constant([query.SerializeToString()])
    )
    return outputs["movie_ids"].numpy().tolist()


def test_an_unblessed_model_is_not_pushed(tmp_path, model):
    base = tmp_path / "serving"
    blessing = blessing_artifact(str(tmp_path / "b"), False)
    pushed = run_pusher(str(tmp_path / "pushed"), model, blessing, str(base))

    assert pushed.get_int_custom_property(spec.PUSHED_PROPERTY) == 0
    assert not pushed.has_custom_property(spec.PUSHED_DESTINATION_PROPERTY)
    assert not base.exists() or _visible(str(base)) == []
    assert latest_pushed_model(str(base)) is None


def test_a_blessed_model_is_pushed_to_an_integer_version_that_loads(tmp_path, model):
    base = str(tmp_path / "serving")
    blessing = blessing_artifact(str(tmp_path / "b"), True)
    pushed = run_pusher(str(tmp_path / "pushed"), model, blessing, base)

    assert pushed.get_int_custom_property(spec.PUSHED_PROPERTY) == 1
    version = pushed.get_string_custom_property(spec.PUSHED_VERSION_PROPERTY)
    destination = pushed.get_string_custom_property(spec.PUSHED_DESTINATION_PROPERTY)
    assert version.isdigit()
    assert destination == f"{base}/{version}"
    assert pushed.get_string_custom_property(spec.PUSH_BASE_DIRECTORY_PROPERTY) == base
    assert os.listdir(base) == [version]  # No staging folder left behind.
    assert os.path.isfile(os.path.join(destination, "saved_model.pb"))
    assert latest_pushed_model(base) == destination
    assert _call(destination) == [[b"m2", b"m1"]]
    # As TFX's Pusher, the model is archived in the artifact too.
    assert os.path.isfile(os.path.join(pushed.uri, "saved_model.pb"))


def test_without_a_blessing_input_the_model_is_pushed_as_tfx_pusher_does(tmp_path, model):
    pushed = run_pusher(str(tmp_path / "pushed"), model, None, str(tmp_path / "serving"))
    assert pushed.get_int_custom_property(spec.PUSHED_PROPERTY) == 1


def test_two_pushes_get_increasing_versions(tmp_path, model):
    base = str(tmp_path / "serving")
    blessing = blessing_artifact(str(tmp_path / "b"), True)
    first = run_pusher(str(tmp_path / "p1"), model, blessing, base)
    second = run_pusher(str(tmp_path / "p2"), model, blessing, base)  # Same second, most likely.

    versions = [
        int(p.get_string_custom_property(spec.PUSHED_VERSION_PROPERTY)) for p in (first, second)
    ]
    assert versions[1] > versions[0]
    assert _visible(base) == [str(v) for v in versions]
    assert latest_pushed_model(base) == f"{base}/{versions[1]}"


def test_versions_follow_the_clock_but_never_go_back(tmp_path):
    base = str(tmp_path)
    os.makedirs(os.path.join(base, "2000"))
    os.makedirs(os.path.join(base, ".tmp-9999-abc"))  # Staging folders don't count.
    assert publish.next_version(base, now=lambda: 1000.7) == 2001
    assert publish.next_version(base, now=lambda: 5000.2) == 5000
    assert publish.next_version(str(tmp_path / "missing"), now=lambda: 42.0) == 42


def test_a_crash_mid_copy_leaves_no_half_version_and_the_previous_one_intact(
    tmp_path, model, monkeypatch
):
    base = str(tmp_path / "serving")
    blessing = blessing_artifact(str(tmp_path / "b"), True)
    previous = run_pusher(str(tmp_path / "p1"), model, blessing, base)
    previous_dir = previous.get_string_custom_property(spec.PUSHED_DESTINATION_PROPERTY)

    real_copy = fileio.copy
    copied = []

    def copy_then_crash(source, target, overwrite=False):
        if len(copied) == 2:
            raise OSError("disk full (simulated)")
        real_copy(source, target, overwrite)
        copied.append(target)

    monkeypatch.setattr(fileio, "copy", copy_then_crash)
    with pytest.raises(OSError, match="simulated"):
        run_pusher(str(tmp_path / "p2"), model, blessing, base)
    monkeypatch.undo()

    assert len(copied) == 2  # Part of the model was written before the crash...
    assert all(os.path.relpath(t, base).startswith(".tmp-") for t in copied)  # Staged.
    assert os.listdir(base) == [os.path.basename(previous_dir)]  # ...and none of it is visible.
    assert latest_pushed_model(base) == previous_dir
    assert _call(previous_dir) == [[b"m2", b"m1"]]


def test_leftovers_of_a_killed_push_are_ignored_and_do_not_block_the_next(tmp_path, model):
    base = tmp_path / "serving"
    blessing = blessing_artifact(str(tmp_path / "b"), True)
    # A push killed hard (no cleanup) leaves its staging folder; a foreign,
    # incomplete integer folder has no saved_model.pb.
    (base / ".tmp-1-deadbeef" / "variables").mkdir(parents=True)
    (base / "3" / "variables").mkdir(parents=True)
    assert latest_pushed_model(str(base)) is None

    pushed = run_pusher(str(tmp_path / "p"), model, blessing, str(base))
    destination = pushed.get_string_custom_property(spec.PUSHED_DESTINATION_PROPERTY)
    assert latest_pushed_model(str(base)) == destination
    assert int(os.path.basename(destination)) > 3


def test_object_store_publishing_moves_saved_model_pb_last(tmp_path, monkeypatch):
    staging = tmp_path / ".tmp-5-x"
    (staging / "variables").mkdir(parents=True)
    (staging / "variables" / "variables.index").write_text("index")
    (staging / "saved_model.pb").write_text("graph")
    (staging / "fingerprint.pb").write_text("fp")
    moved = []
    real_rename = fileio.rename

    def record(source, target, overwrite=False):
        moved.append(os.path.basename(target))
        real_rename(source, target, overwrite)

    monkeypatch.setattr(fileio, "rename", record)
    # pylint: disable-next=protected-access
    publish._move_files_marker_last(str(staging), str(tmp_path / "5"))

    assert moved[-1] == "saved_model.pb"
    assert sorted(moved) == ["fingerprint.pb", "saved_model.pb", "variables.index"]
    assert (tmp_path / "5" / "variables" / "variables.index").read_text() == "index"
    assert not staging.exists()


def test_component_reuses_tfx_pusher_spec_with_its_own_executor(tmp_path):
    base = str(tmp_path / "serving")
    component = VersionedPusher(
        model=types.Channel(type=standard_artifacts.Model),
        model_blessing=types.Channel(type=standard_artifacts.ModelBlessing),
        push_destination=base,
    )
    assert isinstance(component.spec, standard_component_specs.PusherSpec)
    assert component.outputs[spec.PUSHED_MODEL_KEY].type == standard_artifacts.PushedModel
    assert component.inputs[spec.MODEL_BLESSING_KEY].type == standard_artifacts.ModelBlessing
    assert component.executor_spec.executor_class is executor.Executor
    assert executor.base_directory(component.exec_properties[spec.PUSH_DESTINATION_KEY]) == base


def test_component_rejects_a_missing_or_non_filesystem_destination():
    model = types.Channel(type=standard_artifacts.Model)
    with pytest.raises(ValueError, match="push_destination .* is required"):
        VersionedPusher(model=model)
    with pytest.raises(ValueError, match="versioning must be AUTO or UNIX_TIMESTAMP"):
        VersionedPusher(
            model=model,
            push_destination=pusher_pb2.PushDestination(
                filesystem=pusher_pb2.PushDestination.Filesystem(
                    base_directory="/srv", versioning=99
                )
            ),
        )


@pytest.mark.parametrize("damage", ["no_variables", "truncated_graph", "empty_graph"])
def test_a_damaged_newest_version_is_skipped_for_the_good_older_one(tmp_path, model, damage):
    base = tmp_path / "serving"
    good = run_pusher(str(tmp_path / "p"), model, blessing_artifact(str(tmp_path / "b"), True), str(base))
    good_dir = good.get_string_custom_property(spec.PUSHED_DESTINATION_PROPERTY)
    newest = base / str(int(os.path.basename(good_dir)) + 1)
    shutil.copytree(good_dir, newest)
    graph = newest / "saved_model.pb"
    if damage == "no_variables":
        shutil.rmtree(newest / "variables")
    elif damage == "truncated_graph":
        graph.write_bytes(graph.read_bytes()[: len(graph.read_bytes()) // 3])
    else:
        graph.write_bytes(b"")
    assert latest_pushed_model(str(base)) == good_dir


def test_staging_folders_of_killed_pushes_are_removed_and_nothing_else(tmp_path, model):
    base = tmp_path / "serving"
    blessing = blessing_artifact(str(tmp_path / "b"), True)
    good = run_pusher(str(tmp_path / "p"), model, blessing, str(base))
    version = os.path.basename(good.get_string_custom_property(spec.PUSHED_DESTINATION_PROPERTY))
    (base / ".tmp-1-deadbeef" / "variables").mkdir(parents=True)
    (base / ".tmp-2-cafe").mkdir()
    (base / "3").mkdir()  # Not a staging folder: left to whoever made it.
    (base / "notes.txt").write_text("kept")

    removed = publish.remove_staging_folders(str(base))

    assert removed == [f"{base}/.tmp-1-deadbeef", f"{base}/.tmp-2-cafe"]
    assert sorted(os.listdir(base)) == sorted(["3", "notes.txt", version])
    assert publish.remove_staging_folders(str(base)) == []
    assert publish.remove_staging_folders(str(tmp_path / "missing")) == []
