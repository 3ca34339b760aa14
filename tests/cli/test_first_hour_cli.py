"""The command line as a new user meets it (issue 29): `ks-gui --help` says that `ks-gui [RECORDING]` opens the
window; `sort` takes --channels and --sample-rate as `inspect` does; "already holds a sort" names --overwrite;
`explain` reads the kilosort4.log a user finds in the output folder."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli, write_recording

STAMP = "2026-12-04 20:42:{:02d},473 {} {:<8} {}"


def kilosort4_log(folder: Path, *messages: tuple[str, str], tail: str = "") -> Path:
    """A kilosort4.log as Kilosort 4.1.7 writes it: each line stamped with the time, the logger and the level."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [STAMP.format(second, name, "INFO", text) for second, (name, text) in enumerate(messages)]
    path = folder / "kilosort4.log"
    path.write_text("\n".join(lines) + "\n" + tail)
    return path


KS = "kilosort.run_kilosort"
BEGINNING = ((KS, "Kilosort version 4.1.7"), (KS, "Computing preprocessing variables."), (KS, "N batches: 30"))


def test_help_says_how_the_window_opens():
    done = run_cli("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: ks-gui [RECORDING]  or  ks-gui [-h] [--version] COMMAND ...")
    assert "ks-gui RECORDING opens it with that recording" in " ".join(done.stdout.split())
    sort_help = run_cli("sort", "--help").stdout
    assert (
        sort_help.startswith("usage: ks-gui sort ") and "--channels N" in sort_help and "--sample-rate HZ" in sort_help
    )


def test_sort_takes_channels_and_sample_rate(tmp_path):
    recording = write_recording(tmp_path / "rec")
    done = run_cli(
        "sort", str(recording.folder), "-o", str(tmp_path / "out"), "--sorter", "kilosort4", "--on", "local",
        "--channels", "32", "--sample-rate", "30000", "--dry-run", "--json",
    )  # fmt: skip
    document = json.loads(done.stdout)
    assert document["job"]["n_channels"] == 32 and document["job"]["sample_rate"] == 30000.0
    assert document["job"]["params"]["n_chan_bin"] == 32


def test_channels_and_a_param_that_disagree_are_bad_input(tmp_path):
    recording = write_recording(tmp_path / "rec")
    done = run_cli(
        "sort", str(recording.folder), "-o", str(tmp_path / "out"), "--sorter", "kilosort4",
        "--channels", "32", "--param", "n_chan_bin=30", "--sample-rate", "30000",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["ks-gui: --channels 32 and --param n_chan_bin=30 disagree: give one of them"]


def test_an_output_that_holds_a_sort_names_overwrite(tmp_path):
    recording = write_recording(tmp_path / "rec")
    output = tmp_path / "out"
    output.mkdir()
    (output / "params.py").write_text("dat_path = 'x.bin'\n")
    done = run_cli(
        "sort", str(recording.folder), "-o", str(output), "--sorter", "kilosort4", "--on", "local",
        "--channels", "32", "--sample-rate", "30000",
    )  # fmt: skip
    assert done.returncode == 2
    assert f"ks-gui: {output} already holds a sort: choose a new output folder (or --overwrite)" in done.stderr


def test_explain_reads_a_finished_kilosort4_log(tmp_path):
    log = kilosort4_log(
        tmp_path / "sorted",
        *BEGINNING,
        (KS, "Computing drift correction."),
        (KS, "Extracting spikes using templates"),
        (KS, "Extracting spikes using cluster waveforms"),
        (KS, "Final clustering"),
        (KS, "Saving to phy and computing refractory periods"),
        (KS, "Total runtime: 120.00s = 00:02:00 h:m:s"),
    )
    done = run_cli("explain", str(log))
    assert done.stdout.splitlines() == ["The sort finished (Kilosort 4).", "No failure found in this log."]


def test_explain_reads_a_failed_kilosort4_log(tmp_path):
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/env/lib/python3.11/site-packages/kilosort/run_kilosort.py", line 233, in run_kilosort\n'
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity)\n"
    )
    log = kilosort4_log(
        tmp_path / "sorted",
        *BEGINNING,
        (KS, "Computing drift correction."),
        ("kilosort.spikedetect", "Re-computing universal templates from data."),
        (KS, "Encountered error in `run_kilosort`:"),
        tail=traceback,
    )
    lines = run_cli("explain", str(log)).stdout.splitlines()
    assert lines[0] == "The log ends in: Drift correction, after 22% of the sort (Kilosort 4)."
    assert lines[1] == "Failed while drift correction: The GPU ran out of memory."
