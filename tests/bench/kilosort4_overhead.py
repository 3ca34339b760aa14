"""The launcher's overhead on a Kilosort 4 sort: `ks-gui sort --sorter kilosort4-local` vs. calling `run_kilosort`
directly, in the same environment, on the same planted recording (40 s, 32 channels) with the same settings and
probe. Both are timed as whole processes (imports included), alternating, and the ratio of the fastest of each is
printed (goal: at most 1.1): on a shared 2-core machine the slower runs measure the neighbours. A short untimed
sort first warms the disk cache and numba's compiled code. `make bench`; uses $KS_GUI_KILOSORT4_ENV or build/ks4-env.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ks_gui.core.places import kilosort4_env
from tests.helpers.planted import N_CHANNELS, PITCH_UM, SAMPLE_RATE, write_recording

ROUNDS = int(os.environ.get("KS4_BENCH_ROUNDS", "2"))

# The baseline: what a user writes after reading Kilosort 4's docs, with the probe the launcher derives.
DIRECT = """
import sys
from pathlib import Path
import numpy as np
import torch
from kilosort import run_kilosort
n = {n}
probe = {{"chanMap": np.arange(n), "xc": np.zeros(n, dtype="float32"), "yc": np.arange(n, dtype="float32") * {pitch},
          "kcoords": np.ones(n, dtype="float32"), "n_chan": n}}
run_kilosort(settings={{"n_chan_bin": n, "fs": {fs}}}, probe=probe, filename=Path(sys.argv[1]),
             results_dir=Path(sys.argv[2]), device=torch.device("cpu"))
"""


def timed(command: list[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    return time.perf_counter() - started


def main() -> None:
    folder = Path(os.environ.get(kilosort4_env.ENV_VARIABLE) or Path("build/ks4-env")).absolute()
    python = str(kilosort4_env.env_python(folder))
    environment = {
        **os.environ,
        kilosort4_env.ENV_VARIABLE: str(folder),
        "CUDA_VISIBLE_DEVICES": "",
        "MPLBACKEND": "Agg",
    }
    direct_code = DIRECT.format(n=N_CHANNELS, pitch=PITCH_UM, fs=SAMPLE_RATE)
    direct, launcher = [], []
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        recording = write_recording(work / "rec", duration_s=40.0)
        warm_up = write_recording(work / "warm", duration_s=8.0, seed=5)
        timed([python, "-c", direct_code, str(warm_up.binary), str(work / "warm-up")], environment)
        for round_ in range(ROUNDS):
            direct.append(
                timed([python, "-c", direct_code, str(recording.binary), str(work / f"direct{round_}")], environment)
            )
            launcher.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "ks_gui",
                        "sort",
                        str(recording.binary.parent),
                        "--sorter",
                        "kilosort4",
                        "--on",
                        "local",
                        "--output",
                        str(work / f"launcher{round_}"),
                        "--gpu",
                        "none",
                        "--param",
                        f"n_chan_bin={N_CHANNELS}",
                        "--param",
                        f"fs={SAMPLE_RATE}",
                    ],
                    environment,
                )
            )
    ratio = min(launcher) / min(direct)
    print(
        f"kilosort4-local sort of 40 s x 32 channels on the CPU: launcher {min(launcher):.1f} s vs run_kilosort "
        f"directly {min(direct):.1f} s (fastest of {ROUNDS}; all: launcher {', '.join(f'{t:.1f}' for t in launcher)}, "
        f"direct {', '.join(f'{t:.1f}' for t in direct)}) -> overhead ratio {ratio:.2f}x (goal <= 1.1x)"
    )


if __name__ == "__main__":
    main()
