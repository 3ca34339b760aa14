"""The same Kilosort 4 driver on the GPU and on the CPU, on the same planted recording: wall time and agreement.

    python -m tests.helpers.gpu_vs_cpu [PYTHON] [SECONDS]

PYTHON is an interpreter with torch and kilosort (default: this one). Run on a machine with an NVIDIA GPU.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers.driver_job import run_driver, write_job
from tests.helpers.planted import agreement, write_recording


def main(argv: list[str]) -> int:
    python = argv[1] if len(argv) > 1 else sys.executable
    seconds = float(argv[2]) if len(argv) > 2 else 60.0
    versions = subprocess.run(
        [
            python,
            "-c",
            "import torch, kilosort, platform; print(platform.python_version(), torch.__version__, "
            "kilosort.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU')",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"python, torch, kilosort, GPU: {versions}", flush=True)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        recording = write_recording(folder / "rec", duration_s=seconds)
        for device, gpu in (("GPU", True), ("CPU", False), ("GPU again", True)):
            output = folder / device.replace(" ", "_")
            wall, code, text = run_driver(python, write_job(recording, output), gpu)
            if code != 0:
                print(text[-4000:])
                print(f"{device}: the driver failed with exit code {code}")
                return 1
            result = next(line for line in text.splitlines() if line.startswith("[ks-gui] result"))
            worst = min(unit.agreement for unit in agreement(recording, output))
            print(
                f"{device}: {wall:.1f} s wall for {seconds:.0f} s of 32-channel data; {result}; "
                f"worst planted-unit agreement {worst:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
