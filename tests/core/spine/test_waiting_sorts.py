"""Sorts waiting when the window closed are kept for the next window: everything the job needs, never a secret."""

from __future__ import annotations

from pathlib import Path

from ks_gui.core import waiting_sorts
from ks_gui.core.job import Mount, SortJob
from ks_gui.core.license import BatchToken, LicenseFile, LicenseServer, MathWorksAccount
from ks_gui.core.recordings.inspection import inspect_all
from ks_gui.core.sorters import SORTERS
from tests.conftest import write_recording


def job_for(folder: Path, output: Path, sorter=SORTERS["kilosort2.5"], **fields) -> SortJob:
    recording = inspect_all(write_recording(folder, seconds=1).folder).preselected
    overrides = {sorter.channels_param: 32, sorter.sample_rate_param: 30000.0} | fields.pop("params", {})
    return SortJob(
        recording=recording,
        output=output,
        license=fields.pop("license", LicenseServer(27000, "licenses.example.org")),
        sorter=sorter,
        param_overrides=overrides,
        **fields,
    )


def test_kept_sorts_come_back_as_they_were_in_queue_order(tmp_path: Path):
    extra = tmp_path / "probes"
    extra.mkdir()
    first = job_for(
        tmp_path / "rec_a",
        tmp_path / "out_a",
        license=LicenseFile(tmp_path / "network.lic", mac_address="00:1a:2b:3c:4d:5e"),
        environment={"HTTPS_PROXY": "http://proxy:3128"},
        extra_mounts=(Mount(extra, "/probes", True),),
        temp_dir=tmp_path / "scratch",
        cuda_forward_compat="off",
        params={"Th": [9, 3]},
    )
    (tmp_path / "network.lic").write_text("SERVER ...\n")
    second = job_for(
        tmp_path / "rec_b", tmp_path / "out_b", sorter=SORTERS["kilosort4"], license=None, image="ks4:mine"
    )
    waiting_sorts.keep([(first, 1), (second, "none")])

    restored = waiting_sorts.take()
    assert [(kept.label, kept.gpu, kept.problem) for kept in restored] == [
        ("recording.bin", 1, ""),
        ("recording.bin", "none", ""),
    ]
    again, again_second = restored[0].job, restored[1].job
    assert again.recording.binary == first.recording.binary and again.output == first.output
    assert again.license == first.license
    assert again.environment == first.environment and again.extra_mounts == first.extra_mounts
    assert again.temp_dir == first.temp_dir and again.cuda_forward_compat == "off"
    assert again.params == first.params and again.job_id != first.job_id  # a new run of the same job
    assert again_second.sorter.name == "kilosort4" and again_second.image == "ks4:mine"
    assert again_second.license is None
    assert not waiting_sorts.waiting_sorts_file().exists()  # taken: the window after the next starts empty
    assert waiting_sorts.take() == []


def test_no_secret_is_kept(tmp_path: Path):
    token = BatchToken("lab@example.org", "s3cr3t-t0ken-value")
    account = MathWorksAccount("lab@example.org", keep_signed_in=True)
    with_token = job_for(tmp_path / "rec_a", tmp_path / "out_a", license=token)
    with_account = job_for(tmp_path / "rec_b", tmp_path / "out_b", license=account)
    waiting_sorts.keep([(with_token, "auto"), (with_account, "auto")])
    text = waiting_sorts.waiting_sorts_file().read_text()
    assert "s3cr3t" not in text
    assert '"token:lab@example.org"' in text  # read from the system keyring when it is queued again
    restored = waiting_sorts.take()
    assert restored[1].job.license == account  # the password is asked for when it runs, as always


def test_a_sort_that_can_no_longer_run_is_named_with_its_reason(tmp_path: Path):
    gone = job_for(tmp_path / "rec_a", tmp_path / "out_a")
    taken = job_for(tmp_path / "rec_b", tmp_path / "out_b")
    waiting_sorts.keep([(gone, "auto"), (taken, "auto")])
    gone.recording.binary.unlink()
    (tmp_path / "out_b" / "params.py").parent.mkdir()
    (tmp_path / "out_b" / "params.py").write_text("dat_path = 'x'\n")  # an earlier sort's results landed there

    first, second = waiting_sorts.take()
    assert first.job is None and str(tmp_path / "rec_a") in first.problem
    assert second.job is None and "out_b" in second.problem


def test_an_unreadable_file_gives_nothing_and_goes(tmp_path: Path):
    path = waiting_sorts.waiting_sorts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    assert waiting_sorts.take() == []
    assert not path.exists()


def test_a_waiting_sort_keeps_its_place_and_everything_else_of_its_job(tmp_path: Path):
    """Issue 27's bug: a sort waiting for a GPU server, a cluster or the local environment came back as a Docker
    sort on this computer."""
    jobs = [
        job_for(tmp_path / "rec_a", tmp_path / "out_a", sorter=SORTERS["kilosort4"], license=None, place="local"),
        job_for(tmp_path / "rec_b", tmp_path / "out_b", place="ssh://lab@gpu-server", overwrite=False),
        job_for(tmp_path / "rec_c", tmp_path / "out_c", sorter=SORTERS["kilosort4"], license=None, place="slurm"),
    ]
    waiting_sorts.keep([(job, "none") for job in jobs])
    restored = [kept.job for kept in waiting_sorts.take()]
    assert [job.place for job in restored] == ["local", "ssh://lab@gpu-server", "slurm"]
    for before, after in zip(jobs, restored, strict=True):
        assert {**after.record(), "job_id": ""} == {**before.record(), "job_id": ""}
