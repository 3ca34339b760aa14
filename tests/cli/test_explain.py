"""`ks-gui explain LOGFILE`, run as a user runs it, on real logs and on logs as users paste them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from ks_gui.cli.terminal import TerminalProgress, bar_text
from ks_gui.core.ground.eta_text import ESTIMATING
from ks_gui.core.sorters.progress import Tracker
from tests.conftest import FIXTURES, run_cli
from tests.helpers.ks25_log import ks25_run


def explain_json(path: Path) -> dict:
    done = run_cli("explain", str(path), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_real_drift_log_from_a_forum_post():
    document = explain_json(FIXTURES / "logs" / "ks25_issue307.txt")
    assert set(document) == {"stage", "fraction", "failure"}
    assert document["stage"] == "learn"  # the error's stack: extractTemplatesfromSnippets in learnTemplates
    assert abs(document["fraction"] - 0.40) < 1e-9
    assert document["failure"] == {
        "kind": "too_few_spikes",
        "message": "Kilosort found too few spikes to learn templates.",
        "hint": "Check the channel count, the channel map and the recording, or lower the thresholds (Th, spkTh).",
        "stage": "learn",
    }


def test_the_real_compile_log_in_words():
    done = run_cli("explain", str(FIXTURES / "logs" / "mexgpuall_issue220.txt"))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "The log ends in: Compiling mex files, after 3% of the sort."
    assert lines[1].startswith("Failed while compiling mex files: Compiling Kilosort's GPU code failed at mexMPnu8.cu")
    assert lines[2].startswith("What to do: ")


def test_a_finished_run_saved_with_crlf_line_ends(tmp_path):
    log = tmp_path / "run.log"
    log.write_bytes("\r\n".join(ks25_run(400)).encode())
    assert explain_json(log) == {"stage": "done", "fraction": 1.0, "failure": None}
    assert run_cli("explain", str(log)).stdout.splitlines() == [
        "The sort finished (Kilosort 2.5).",
        "No failure found in this log.",
    ]


def test_a_partial_quoted_log_that_starts_mid_run(tmp_path):
    lines = ks25_run(900)
    start = next(i for i, line in enumerate(lines) if line.startswith("1101.00 sec, 201 / 900"))
    log = tmp_path / "pasted.txt"
    log.write_text("\n".join(f"> {line}" for line in lines[start : start + 3]) + "\n> Error using  * \n"
                   "> Out of memory on device. To view more detail about available memory on the GPU, use\n"
                   "> 'gpuDevice()'.\n")  # fmt: skip
    document = explain_json(log)
    assert document["stage"] == "learn" and 0.4 < document["fraction"] < 0.68
    assert document["failure"]["kind"] == "gpu_out_of_memory" and document["failure"]["stage"] == "learn"


def test_text_that_is_no_kilosort_log(tmp_path):
    log = tmp_path / "notes.txt"
    log.write_text("shopping list\nmilk\n")
    assert explain_json(log) == {"stage": None, "fraction": 0.0, "failure": None}


def test_a_missing_file_is_bad_input(tmp_path):
    done = run_cli("explain", str(tmp_path / "nope.log"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"ks-gui: no such log file: {tmp_path / 'nope.log'}"
    done = run_cli("explain", str(tmp_path), "--json")
    assert done.returncode == 2 and json.loads(done.stdout) == {"errors": [f"{tmp_path} is a folder, not a log file"]}


def test_the_terminal_bar_shows_stage_percent_eta():
    tracker = Tracker(n_batches=900)
    events = [e for line in ks25_run(900)[:-8] if (e := tracker.feed(line)) is not None]
    event = events[-1]
    text = bar_text(event, elapsed=125)
    assert text.startswith("[") and f"{event.fraction:4.0%}" in text
    assert "6/7 Merging and splitting" in text or "6/7 Splitting" in text or "6/7 Units" in text, text
    assert "· 2:05" in text


def test_the_terminal_writes_one_line_per_stage_into_a_pipe():
    stream = io.StringIO()
    progress = TerminalProgress(stream)
    tracker = Tracker(n_batches=300)
    for line in ks25_run(300):
        if (event := tracker.feed(line)) is not None:
            progress.show(event)
    written = stream.getvalue().splitlines()
    assert written[0].strip() == f"0%  Starting · {ESTIMATING}"
    assert all(" · " in line for line in written[:-1])  # each stage's line says the time left as the bar does
    assert [line.strip().split("  ", 1)[1].split(" · ")[0] for line in written[1:]] == [
        "1/7 Compiling mex files",
        "2/7 Preprocessing",
        "3/7 Drift correction",
        "4/7 Learning templates",
        "5/7 Extracting spikes",
        "6/7 Merging and splitting",
        "7/7 Exporting to phy",
        "Done",
    ]
