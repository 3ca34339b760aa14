"""The window refuses a folder that would hide one the container needs (issue 20): the field is marked with the one
sentence, Sort is off, and pressing it starts nothing."""

from __future__ import annotations

import pytest

from tests.helpers.layouts import NP1_META, spikeglx_run
from tests.ui.conftest import drop_path, type_into


def marked(widget) -> bool:
    return bool(widget.property("problem"))


@pytest.fixture
def form(qtbot, window, tmp_path):
    form = window.form
    form.sorter_choice.choose("kilosort4")  # no license to enter
    form.place_choice.choose("docker")
    drop_path(form.drop_zone, spikeglx_run(tmp_path, metas=(NP1_META,)))
    qtbot.waitUntil(lambda: window.recording is not None)
    return form


def refused_at_sort(window, form, widget, sentence: str) -> None:
    assert marked(widget) and widget.toolTip() == sentence
    assert not form.sort_button.isEnabled()
    assert "--" not in form.sort_reason.text()
    window.start_sort()
    assert not window.running


def test_temp_folder_etc(qtbot, window, form):
    type_into(qtbot, form.temp_dir, "/etc")
    sentence = "the temp folder /etc would hide the container's own /etc: choose a folder elsewhere"
    refused_at_sort(window, form, form.temp_dir, sentence)


def test_output_usr(qtbot, window, form):
    type_into(qtbot, form.output, "/usr")
    sentence = "the output folder /usr would hide the container's own /usr: choose a folder elsewhere"
    refused_at_sort(window, form, form.output, sentence)


def test_extra_mount_opt(qtbot, window, form, tmp_path):
    form.advanced.setChecked(True)
    type_into(qtbot, form.mounts, f"{tmp_path}:/opt")
    sentence = (
        "the mount /opt would hide the container's own /opt/ks-gui, which is inside it: choose a folder elsewhere"
    )
    refused_at_sort(window, form, form.mounts, sentence)


def test_extra_mount_below_opt_is_fine(qtbot, window, form, tmp_path):
    form.advanced.setChecked(True)
    extra = tmp_path / "probes"  # not above the recording's folder, which a writable mount may never be (issue 28)
    extra.mkdir()
    type_into(qtbot, form.mounts, f"{extra}:/opt/data/rec1")
    assert not marked(form.mounts)
