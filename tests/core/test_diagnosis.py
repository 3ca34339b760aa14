from ks_gui.core.diagnosis import diagnose
from tests.conftest import FIXTURES


def test_mexgpuall_failure_from_a_real_log():
    failure = diagnose((FIXTURES / "logs" / "mexgpuall_issue220.txt").read_text().splitlines())
    assert failure.kind == "mex_compile_failed"
    assert failure.message == "Compiling Kilosort's GPU code failed."


def test_too_few_spikes_from_a_real_quoted_log():
    failure = diagnose((FIXTURES / "logs" / "ks25_issue307.txt").read_text().splitlines())
    assert failure.kind == "too_few_spikes"


def test_license_server_unreachable():
    lines = ["License checkout failed.", "License Manager Error -96", "Unable to connect to the license server."]
    failure = diagnose(lines)
    assert failure.kind == "license"
    assert "could not reach the license server" in str(failure)


def test_driver_error_marker_wins_and_nothing_known_gives_none():
    assert diagnose(["[ks-gui] error job_file: cannot read /out/.ks-gui/job.json"]).kind == "job_file"
    assert diagnose(["all is well"]) is None
