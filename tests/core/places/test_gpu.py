import pytest

from ks_gui.core.gpu_choice import (
    GpuChoiceError,
    choose_gpu,
    forward_compat_enabled,
    parse_forward_compat,
    parse_gpu_request,
)
from ks_gui.core.places.gpus import parse_nvidia_smi
from tests.conftest import FIXTURES

# Two GPUs as `nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits` prints them; the busy one first.
TWO_GPUS = """\
0, GPU-5f3c2a10-1111-2222-3333-444455556666, NVIDIA RTX A6000, 49140, 30211, 87, 8.6, 550.54.15
1, GPU-7a9d0b22-7777-8888-9999-000011112222, NVIDIA RTX A6000, 49140, 4, 0, 8.6, 550.54.15
"""


def test_parse_and_auto_picks_the_idle_gpu():
    gpus = parse_nvidia_smi(TWO_GPUS)
    assert [g.index for g in gpus] == [0, 1]
    assert gpus[0].memory_total_mib == 49140
    assert choose_gpu("auto", gpus).index == 1
    assert choose_gpu(0, gpus).uuid.startswith("GPU-5f3c")
    assert choose_gpu("none", gpus) is None
    assert choose_gpu("auto", []) is None


def test_hopper_needs_forward_compatibility():
    (h100,) = parse_nvidia_smi("0, GPU-x, NVIDIA H100 80GB HBM3, 81559, 0, 0, 9.0, 570.86.15\n")
    assert h100.needs_forward_compatibility
    assert not parse_nvidia_smi(TWO_GPUS)[0].needs_forward_compatibility


def test_gpu_requests():
    assert parse_gpu_request("auto") == "auto"
    assert parse_gpu_request("None") == "none"
    assert parse_gpu_request("1") == 1
    with pytest.raises(GpuChoiceError, match="must be auto, none or a GPU index"):
        parse_gpu_request("first")
    with pytest.raises(GpuChoiceError, match="there is no GPU 3"):
        choose_gpu(3, parse_nvidia_smi(TWO_GPUS))


def test_real_h100_output():
    """Recorded on an H100 machine with the project's device tool (tests/fixtures/gpu/SOURCES.md)."""
    text = (FIXTURES / "gpu" / "nvidia-smi-query.csv").read_text()
    (gpu,) = parse_nvidia_smi(text)
    assert gpu.name == "NVIDIA H100 80GB HBM3"
    assert gpu.uuid == "GPU-475d6eb5-7ce8-8644-d1f0-67dce7f99ab3"
    assert (gpu.memory_total_mib, gpu.memory_used_mib, gpu.utilization_percent) == (81559, 0, 0)
    assert gpu.driver_version == "580.159.04"
    assert gpu.needs_forward_compatibility  # Hopper: MATLAB R2021b's CUDA 11.0 needs forward compatibility
    assert gpu.describe() == "GPU 0: NVIDIA H100 80GB HBM3, 80 GiB"


def test_output_with_units_and_header_reads_the_same():
    with_units = parse_nvidia_smi((FIXTURES / "gpu" / "nvidia-smi-query-header.csv").read_text())
    assert with_units == parse_nvidia_smi((FIXTURES / "gpu" / "nvidia-smi-query.csv").read_text())


def test_forward_compatibility_choice_overrides_the_gpu():
    (h100,) = parse_nvidia_smi((FIXTURES / "gpu" / "nvidia-smi-query.csv").read_text())
    (a6000, _) = parse_nvidia_smi(TWO_GPUS)
    assert [forward_compat_enabled("auto", gpu) for gpu in (h100, a6000, None)] == [True, False, False]
    assert forward_compat_enabled("off", h100) is False
    assert forward_compat_enabled("on", a6000) is True
    assert parse_forward_compat(" ON ") == "on"
    with pytest.raises(GpuChoiceError, match="must be auto, on or off"):
        parse_forward_compat("yes")
