import pytest

from ks_gui.core.gpu import GpuChoiceError, choose_gpu, parse_gpu_request, parse_nvidia_smi

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
