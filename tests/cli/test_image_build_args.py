"""`ks-gui image build [SORTER]`: which image, and its build arguments, checked before the engine is asked."""

from __future__ import annotations

from tests.conftest import run_cli


def test_a_build_argument_that_is_not_key_value_is_refused_in_one_line():
    done = run_cli("image", "build", "kilosort4", "--build-arg", "NOEQUALS", timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "ks-gui: --build-arg 'NOEQUALS' is not KEY=VALUE"


def test_an_unknown_sorter_is_refused_and_the_two_images_are_offered():
    done = run_cli("image", "build", "kilosort3", timeout=60)
    assert done.returncode == 2
    assert "invalid choice: 'kilosort3' (choose from 'kilosort2.5', 'kilosort4')" in done.stderr
