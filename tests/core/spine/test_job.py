import shutil
from pathlib import Path

import pytest

from ks_gui.core.ground.contract import CONTRACT_VERSION, LABEL_CONTRACT, LABEL_GPU, LABEL_SORTER
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.places.gpus import parse_nvidia_smi
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.sorting import check
from tests.conftest import write_recording
from tests.helpers.replay import ReplayPlace

LABELS = {LABEL_CONTRACT: str(CONTRACT_VERSION), LABEL_SORTER: "kilosort2.5", LABEL_GPU: "optional"}
IMAGE = ImageInfo(name="ks-gui-sim:latest", id="sha256:" + "ab" * 32, labels=LABELS)


@pytest.fixture
def job(tmp_path: Path) -> SortJob:
    rec = write_recording(tmp_path / "rec", n_channels=32, seconds=10)
    return SortJob(
        recording=inspect(rec.folder),
        output=tmp_path / "out",
        license=parse_license("server:27000@lic"),
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )


def messages(job: SortJob, image: ImageInfo | None = IMAGE, gpus: list | None = None) -> list[str]:
    """What the CLI says of the job checked on a place with `image` and `gpus`."""
    return [p.command_line_text() for p in check(job, ReplayPlace(image, gpus=gpus), "auto").problems]


def test_a_complete_job_may_start(job: SortJob):
    assert messages(job) == []
    assert job.n_samples == 300_000
    assert job.n_batches == 5  # ceil(300000 / 65472)
    assert job.temp_file_bytes == 32 * 65472 * 5 * 2


def test_unknown_channel_count_and_sample_rate(job: SortJob):
    job.param_overrides = {}
    assert messages(job) == [
        "the channel count is unknown: enter it (--param NchanTOT=…)",
        "the sample rate is unknown: enter it (--param fs=…)",
    ]


def test_size_that_does_not_fit_the_channel_count(job: SortJob):
    job.param_overrides["NchanTOT"] = 7
    assert "not a whole number of 7-channel int16 samples" in messages(job)[0]


def test_output_that_is_a_file(job: SortJob, tmp_path: Path):
    job.output = tmp_path / "notes.txt"
    job.output.write_text("x")
    assert messages(job) == [f"the output {job.output} is a file, not a folder"]


def test_earlier_results_are_never_overwritten(job: SortJob):
    job.output.mkdir()
    (job.output / "params.py").write_text("dat_path = 'x'\n")
    assert messages(job) == [f"{job.output} already holds a sort: choose a new output folder (or --overwrite)"]


def test_npy_files_that_kilosort_would_delete(job: SortJob):
    job.output.mkdir()
    (job.output / "my_analysis.npy").write_bytes(b"")
    assert "would delete" in messages(job)[0]
    job.overwrite = True  # gives up an earlier sort's results, never the user's own files
    assert "would delete" in messages(job)[0]


def test_overwrite_gives_up_an_earlier_sort(job: SortJob):
    job.output.mkdir()
    (job.output / "params.py").write_text("dat_path = 'x'\n")
    (job.output / "spike_times.npy").write_bytes(b"")
    job.overwrite = True
    assert messages(job) == []


def test_output_in_the_recording_folder_itself(job: SortJob):
    job.output = job.recording.folder
    assert "other than the recording's own folder" in messages(job)[0]


def test_missing_license_and_missing_license_file(job: SortJob, tmp_path: Path):
    job.license = None
    assert messages(job) == ["choose how MATLAB is licensed (--license server:PORT@HOST, file:PATH or account:EMAIL)"]
    job.license = parse_license(f"file:{tmp_path / 'none.lic'}")
    assert messages(job) == [f"the license file {tmp_path / 'none.lic'} does not exist"]


def test_images_that_cannot_run_the_job(job: SortJob):
    assert messages(job, None) == ["the image ks-gui/kilosort2.5:latest is not on this machine: build it first"]
    old = ImageInfo("old", "sha256:1", {**LABELS, LABEL_CONTRACT: "0"})
    assert "speaks contract 0" in messages(job, old)[0]
    plain = ImageInfo("busybox", "sha256:2", {})
    assert "is not a ks-gui image" in messages(job, plain)[0]


def test_gpu_required_by_the_image(job: SortJob):
    needs_gpu = ImageInfo("ks-gui/kilosort2.5:latest", "sha256:3", {**LABELS, LABEL_GPU: "required"})
    assert "needs an NVIDIA GPU" in messages(job, needs_gpu)[0]
    gpus = parse_nvidia_smi("0, GPU-a, NVIDIA RTX A6000, 49140, 4, 0, 8.6, 550.54.15\n")
    assert messages(job, needs_gpu, gpus) == []


def test_too_little_disk_for_the_temp_file(job: SortJob):
    # A sparse 385-channel recording twice the size of the free disk: its temp file cannot fit.
    big = job.recording.folder.parent / "big" / "big.bin"
    big.parent.mkdir()
    frame = 385 * 2
    with big.open("wb") as handle:
        handle.truncate((2 * shutil.disk_usage(big.parent).free // frame) * frame)
    job.recording = inspect(big)
    job.param_overrides = {"NchanTOT": 385, "fs": 30000.0}
    (problem,) = messages(job)
    assert problem.startswith("not enough free disk for Kilosort's temp file")
    assert "Choose another temp folder" in problem


def test_job_document_follows_the_contract(job: SortJob, tmp_path: Path):
    document = job.document(tmp_path / "mex")
    assert document["contract"] == CONTRACT_VERSION
    assert document["binary"] == str(job.recording.binary)
    assert document["params"]["NchanTOT"] == document["n_channels"] == 32
    assert document["params"]["trange"] == [0, None]
    assert document["temp_file"] == str(job.output / "temp_wh.dat")
    assert document["n_channels_connected"] == 32
