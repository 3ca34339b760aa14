"""The run loop without Docker: a place that replays recorded output (tests/helpers/replay.py) through the real
line reader, into SortRun's following, progress, sign-in prompts, cancel and outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from ks_gui.core import sorting
from ks_gui.core.events import LogLine, Outcome, SignInPrompt
from ks_gui.core.ground.contract import CONTRACT_VERSION, LABEL_CONTRACT, LABEL_GPU, LABEL_SORTER, MARKER
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.results import history
from ks_gui.core.results.phy_folder import SORT_FILES
from ks_gui.core.sorters.diagnosis import diagnose
from ks_gui.core.sorters.pasted_log import read_log
from ks_gui.core.sorters.progress import ProgressEvent
from tests.conftest import FIXTURES, write_recording
from tests.helpers.replay import AwaitAnswer, ReplayPlace, Script

IMAGE = ImageInfo(
    name="ks-gui/kilosort2.5:latest",
    id="sha256:" + "cd" * 32,
    labels={LABEL_CONTRACT: str(CONTRACT_VERSION), LABEL_SORTER: "kilosort2.5", LABEL_GPU: "optional"},
)


@pytest.fixture
def job(tmp_path: Path) -> SortJob:
    rec = write_recording(tmp_path / "rec", n_channels=32, seconds=4)
    return SortJob(
        recording=inspect(rec.folder),
        output=tmp_path / "out",
        license=parse_license("server:27000@lic"),
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )


def run_on(job: SortJob, script: Script):
    place = ReplayPlace(IMAGE, script)
    checked = sorting.check(job, place, "none")
    assert checked.may_start, checked.problems
    return sorting.start(checked), place


def test_a_real_failing_log_is_followed_line_by_line_and_explained(job: SortJob):
    log = FIXTURES / "logs" / "ks25_issue307.txt"
    run, _ = run_on(job, Script.from_log(log, chunk_bytes=37, exit_code=1))  # chunks cut lines apart
    events = list(run.events())
    relayed = [e.text for e in events if isinstance(e, LogLine)]
    assert relayed == log.read_text().splitlines()
    outcome = events[-1]
    assert isinstance(outcome, Outcome) and not outcome.succeeded and outcome.exit_code == 1
    assert outcome.failure is not None and outcome.failure.kind == "too_few_spikes"
    assert run.log_file.read_text().splitlines() == relayed
    (record,) = history.load_all()
    assert record.status == "failed" and record.place == "docker" and record.summary == outcome.summary()


def stages_and_result(units: int = 12) -> list[str]:
    lines = [f"{MARKER}stage {name}" for name in ("start", "compile", "preprocess", "drift", "learn", "extract")]
    lines += [f"{MARKER}stage merge_split", f"{MARKER}stage export", f"{MARKER}result units={units} good=5 spikes=900"]
    return [line + "\n" for line in [*lines, f"{MARKER}stage done"]]


def test_a_sort_that_ends_well_moves_forward_and_says_what_it_found(job: SortJob):
    phy_files = {name: b"" for name in SORT_FILES}
    run, place = run_on(job, Script(stages_and_result(), writes=phy_files))
    events = list(run.events())
    fractions = [e.fraction for e in events if isinstance(e, ProgressEvent)]
    assert fractions and fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    outcome = events[-1]
    assert outcome.succeeded and (outcome.result.units, outcome.result.good) == (12, 5)
    # What the place was given: the MATLAB command on the job file, the recording read-only at its own path.
    (launch,) = place.started
    assert launch.command == ["-batch", f"ks_gui_run('{job.output / '.ks-gui' / 'job.json'}')"]
    assert any(m.source == job.recording.folder and m.read_only for m in launch.mounts)


def test_sign_in_prompts_are_asked_and_the_email_is_answered_from_the_form(job: SortJob):
    job.license = parse_license("account:ada@example.org")
    prompts = [
        "Please enter your MathWorks Account email address and press Enter:\n",
        AwaitAnswer(),
        "Please enter your MathWorks Account password and press Enter:",  # no line end: MATLAB waits
        AwaitAnswer(),
        "\nSigned in.\n",
    ]
    run, place = run_on(job, Script(prompts, exit_code=1))
    asked = []
    for event in run.events():
        if isinstance(event, SignInPrompt):
            asked.append(event.kind)
            run.answer("s3cret")
    assert asked == ["password"]  # the email came from the form
    assert place.handle is not None and place.handle.answers == ["ada@example.org\n", "s3cret\n"]
    assert "s3cret" not in run.log_file.read_text()  # an answer is never logged


def test_cancel_stops_the_sort_and_says_so(job: SortJob):
    endless = Script([f"{MARKER}stage start\n"] + ["working\n"] * 500, pace_s=0.02)
    run, _ = run_on(job, endless)
    outcome = None
    for event in run.events():
        if isinstance(event, LogLine) and event.text == "working":
            run.cancel()
        if isinstance(event, Outcome):
            outcome = event
    assert outcome is not None and outcome.cancelled and not outcome.succeeded
    assert outcome.summary().startswith("Cancelled.")
    assert history.load_all()[0].status == "cancelled"


def test_a_pasted_log_reads_as_the_replayed_one(job: SortJob):
    """The same real log, pasted with quote marks into `ks-gui explain`, names the same failure as when it is
    followed live."""
    log = FIXTURES / "logs" / "ks25_issue307.txt"
    run, _ = run_on(job, Script.from_log(log, exit_code=1))
    *_, outcome = run.events()
    live = outcome.failure
    pasted = diagnose(read_log(log.read_text()))
    assert live is not None and pasted is not None and live.kind == pasted.kind
