from ks_gui.core.results import history
from ks_gui.core.results.history import RunRecord


def record(job_id: str, started: str) -> RunRecord:
    return RunRecord(
        job_id=job_id,
        sorter="kilosort2.5",
        recording="/data/r.bin",
        output=f"/out/{job_id}",
        image="ks-gui/kilosort2.5:latest",
        log_file=f"/logs/{job_id}.log",
        started=started,
    )


def test_a_run_is_recorded_at_start_and_at_end():
    started = record("a", "2026-11-25T08:00:00")
    history.save(started)
    assert [r.status for r in history.load_all()] == ["running"]
    ended = history.finish(started, status="succeeded", units=12, good=5, spikes=3000, summary="Sorted")
    (loaded,) = history.load_all()
    assert loaded == ended and loaded.units == 12 and loaded.duration_seconds >= 0


def test_newest_first_and_a_broken_record_is_skipped():
    history.save(record("old", "2026-11-20T08:00:00"))
    history.save(record("new", "2026-11-25T08:00:00"))
    (history.history_dir() / "broken.json").write_text("{")
    assert [r.job_id for r in history.load_all()] == ["new", "old"]


def test_runs_that_died_with_the_launcher_become_interrupted():
    history.save(record("alive", "2026-11-25T08:00:00"))
    history.save(record("gone", "2026-11-25T07:00:00"))
    history.mark_interrupted(history.load_all(), alive_job_ids={"alive"})
    statuses = {r.job_id: r.status for r in history.load_all()}
    assert statuses == {"alive": "running", "gone": "interrupted"}
