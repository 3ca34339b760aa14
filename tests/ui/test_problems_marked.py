"""A job that may not start names its field: the window marks that field (a red frame, the message as its tooltip),
says why in the window's words (never a command-line flag), and unmarks it once the problem is gone (issue 15)."""

from __future__ import annotations

from tests.helpers.layouts import NP1_META, spikeglx_run
from tests.ui.conftest import drop_path, type_into


def marked(widget) -> bool:
    return bool(widget.property("problem"))


def test_a_job_without_a_license_marks_the_license_field(qtbot, window, tmp_path):
    form = window.form
    drop_path(form.drop_zone, spikeglx_run(tmp_path, metas=(NP1_META,)))
    qtbot.waitUntil(lambda: window.recording is not None)
    form.license_value.clear()  # Kilosort 2.5 needs MATLAB: no license yet

    assert not form.sort_button.isEnabled()
    reason = form.sort_reason.text()
    assert reason == "Choose how MATLAB is licensed"
    assert "--" not in reason and "--" not in form.license_value.toolTip()
    assert marked(form.license_value) and form.license_value.toolTip() == "choose how MATLAB is licensed"
    assert not marked(form.output) and not marked(form.channels)

    type_into(qtbot, form.license_value, "27000@license.example.org")
    assert not marked(form.license_value)  # the problem is gone, and so is its mark


def test_the_problem_moves_to_the_field_it_names(qtbot, window, tmp_path):
    form = window.form
    drop_path(form.drop_zone, spikeglx_run(tmp_path, metas=(NP1_META,)))
    qtbot.waitUntil(lambda: window.recording is not None)
    type_into(qtbot, form.license_value, "27000@license.example.org")
    form.advanced.setChecked(False)
    type_into(qtbot, form.temp_dir, str(window.recording.folder))  # the temp file beside the raw data: refused
    assert marked(form.temp_dir) and not marked(form.license_value)
    assert form.temp_dir.toolTip() == "choose a temp folder other than the recording's own folder"
    assert "--" not in form.sort_reason.text()


def test_sort_refused_shows_and_focuses_the_field(qtbot, window, tmp_path):
    form = window.form
    form.sorter_choice.choose("kilosort4")  # no license needed: the output folder is what is missing
    drop_path(form.drop_zone, spikeglx_run(tmp_path, metas=(NP1_META,)))
    qtbot.waitUntil(lambda: window.recording is not None)
    form.output.clear()
    window.start_sort()
    assert marked(form.output) and form.output.hasFocus()
    assert form.form_message.text() == "Choose an output folder"
    assert not window.running


def test_a_bad_mount_variable_or_parameter_is_said_in_the_windows_words(qtbot, window, tmp_path):
    form = window.form
    drop_path(form.drop_zone, spikeglx_run(tmp_path, metas=(NP1_META,)))
    qtbot.waitUntil(lambda: window.recording is not None)
    type_into(qtbot, form.license_value, "27000@license.example.org")
    form.advanced.setChecked(True)
    for field, text, words in (
        (form.mounts, "a:b:c:d", "'a:b:c:d' is not SRC[:DST][:ro]"),
        (form.environment, "NOEQUALS", "'NOEQUALS' is not KEY=VALUE"),
        (form.param_form.fields["Th"], "[10,", "Th=[10,: the value is not valid JSON"),
    ):
        field.setFocus()
        qtbot.keyClicks(field, text)
        qtbot.waitUntil(lambda: "is not" in form.sort_reason.text())
        reason = form.sort_reason.text()
        assert words.lower() in reason.lower() and "--" not in reason, reason
        field.clear()


def test_an_image_missing_at_sort_marks_the_image_field(qtbot, window, tmp_path, sim_image):
    form = window.form
    drop_path(form.drop_zone, spikeglx_run(tmp_path, metas=(NP1_META,)))
    qtbot.waitUntil(lambda: window.recording is not None)
    type_into(qtbot, form.license_value, "27000@license.example.org")
    type_into(qtbot, form.image, "ks-gui/not-built:latest")
    form.gpu.setCurrentIndex(form.gpu.findData("none"))
    qtbot.waitUntil(lambda: form.sort_button.isEnabled())  # the image is looked for at Sort, in the engine

    window.start_sort()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)

    assert marked(form.image)
    assert "the image ks-gui/not-built:latest is not on this machine" in form.image.toolTip()
    assert "not on this machine" in window.run_panel.message.text()
