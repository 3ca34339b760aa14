"""GPU parsing over real and synthetic multi-GPU output, busy marking, and Docker's GPU support from `docker info`."""

from __future__ import annotations

import pytest

from ks_gui.core.gpu_choice import choose_gpu
from ks_gui.core.places.gpus import QUERY_FIELDS, QUERY_FIELDS_OLD_DRIVER, gpu_runtime_from_info, parse_nvidia_smi
from tests.conftest import FIXTURES

# Real: the H100 row quoted in issue 6, printed for the query without driver_version (driver 580.159.04).
ISSUE_H100_FIELDS = "index,uuid,name,memory.total,memory.used,utilization.gpu,compute_cap"
ISSUE_H100 = "0, GPU-e15498a2-27ca-184d-c2d7-2278e7cbb0dd, NVIDIA H100 80GB HBM3, 81559, 0, 0, 9.0\n"

# Synthetic (no multi-GPU machine was available to record one): four GPUs of two generations in the real format,
# one busy by memory, one by load, one with MIG's [N/A] utilisation.
FOUR_GPUS = """\
0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA A100-SXM4-40GB, 40960, 39000, 3, 8.0, 550.54.15
1, GPU-66666666-7777-8888-9999-000000000000, NVIDIA A100-SXM4-40GB, 40960, 512, 97, 8.0, 550.54.15
2, GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee, NVIDIA H100 80GB HBM3, 81559, 1024, [N/A], 9.0, 550.54.15
3, GPU-ffffffff-0000-1111-2222-333333333333, NVIDIA GeForce RTX 4090, 24564, 300, 1, 8.9, 550.54.15
"""


def test_the_row_quoted_in_the_issue():
    (gpu,) = parse_nvidia_smi(ISSUE_H100, ISSUE_H100_FIELDS)
    assert (gpu.index, gpu.uuid, gpu.compute_capability) == (0, "GPU-e15498a2-27ca-184d-c2d7-2278e7cbb0dd", "9.0")
    assert gpu.driver_version == "" and gpu.needs_forward_compatibility and not gpu.busy


def test_real_h100_fixture_in_the_picker_text():
    (gpu,) = parse_nvidia_smi((FIXTURES / "gpu" / "nvidia-smi-query.csv").read_text())
    assert gpu.describe_in_full() == "GPU 0: NVIDIA H100 80GB HBM3, 80 GiB, compute 9.0"


def test_real_error_output_gives_no_gpu():
    # nvidia-smi prints an unknown field's error on stdout (tests/fixtures/gpu/SOURCES.md).
    assert parse_nvidia_smi((FIXTURES / "gpu" / "nvidia-smi-bad-field.txt").read_text()) == []


def test_four_gpus_busy_ones_marked_and_auto_takes_an_idle_one():
    gpus = parse_nvidia_smi(FOUR_GPUS)
    assert [g.index for g in gpus] == [0, 1, 2, 3]
    assert [g.busy for g in gpus] == [True, True, False, False]
    assert gpus[2].utilization_percent == 0  # [N/A]
    assert "busy: 38.1 GiB used, 3% load" in gpus[0].describe_in_full()
    assert "busy" in gpus[1].describe_in_full()
    assert choose_gpu("auto", gpus).index == 3  # least used memory among the idle ones
    assert [g.needs_forward_compatibility for g in gpus] == [False, False, True, False]
    assert choose_gpu(2, gpus).uuid == "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_all_busy_auto_still_picks_the_least_busy():
    gpus = parse_nvidia_smi(FOUR_GPUS)[:2]
    assert choose_gpu("auto", gpus).index == 1


def test_a_name_with_a_comma_and_an_old_driver_without_compute_cap():
    text = (
        "0, GPU-1, Tesla K80, rev. B, 11441, 0, 0, 470.82.01\n"
        "1, GPU-2, Tesla K80, rev. B, 11441, 11000, 100, 470.82.01\n"
    )
    gpus = parse_nvidia_smi(text, QUERY_FIELDS_OLD_DRIVER)
    assert [g.name for g in gpus] == ["Tesla K80, rev. B", "Tesla K80, rev. B"]
    assert gpus[0].compute_capability == "" and not gpus[0].needs_forward_compatibility
    assert gpus[1].busy
    assert "compute_cap" in QUERY_FIELDS and "compute_cap" not in QUERY_FIELDS_OLD_DRIVER


@pytest.mark.parametrize(
    ("info", "ready", "words"),
    [
        ({"Runtimes": {"runc": {"path": "runc"}}}, False, "install the NVIDIA Container Toolkit"),
        ({"Runtimes": {"runc": {}, "nvidia": {"path": "nvidia-container-runtime"}}}, True, "the nvidia runtime"),
        (
            {"Runtimes": {"runc": {}}, "DiscoveredDevices": [{"Source": "cdi", "ID": "nvidia.com/gpu=0"}]},
            True,
            "CDI devices nvidia.com/gpu=0",
        ),
        ({"Runtimes": {"runc": {}}, "DiscoveredDevices": [{"Source": "cdi", "ID": "vendor.com/fpga=0"}]}, False, ""),
    ],
)
def test_gpu_runtime_from_docker_info(info, ready, words):
    runtime = gpu_runtime_from_info(info, toolkit_hook=False)
    assert runtime.ready is ready
    assert words in runtime.explain()


def test_the_toolkit_hook_alone_is_enough():
    runtime = gpu_runtime_from_info({"Runtimes": {"runc": {}}}, toolkit_hook=True)
    assert runtime.ready and "hook" in runtime.explain()


@pytest.mark.engine
def test_this_machines_engine_has_no_nvidia_runtime(engine):
    """The real `docker info` of the test engine (no NVIDIA toolkit here)."""
    runtime = gpu_runtime_from_info(engine.info(), toolkit_hook=False)
    assert not runtime.ready and runtime.explain().startswith("Docker has no NVIDIA runtime")


# Real: one H100 under load (~58 GB used, 100% utilisation), recorded with the device tool
# (tests/fixtures/gpu/SOURCES.md, busy/).
BUSY_H100 = (FIXTURES / "gpu" / "busy" / "nvidia-smi-query-busy.csv").read_text()
# SYNTHETIC: no real output of several GPUs could be recorded (multi-GPU machines were withheld). This second,
# idle H100 row is made up in the real row's format (same name and driver, index 1, another UUID) and added to the
# real busy row.
SYNTHETIC_IDLE_SECOND_GPU = (
    "1, GPU-00000000-1111-2222-3333-444444444444, NVIDIA H100 80GB HBM3, 81559, 0, 0, 9.0, 580.159.04\n"
)


def test_real_busy_h100_is_marked_busy():
    (gpu,) = parse_nvidia_smi(BUSY_H100)
    assert (gpu.memory_used_mib, gpu.memory_total_mib, gpu.utilization_percent) == (58451, 81559, 100)
    assert gpu.busy
    assert (
        gpu.describe_in_full() == "GPU 0: NVIDIA H100 80GB HBM3, 80 GiB, compute 9.0 — busy: 57.1 GiB used, 100% load"
    )
    header = (FIXTURES / "gpu" / "busy" / "nvidia-smi-query-busy-header.csv").read_text()
    assert parse_nvidia_smi(header) == [gpu]  # the same query with units and a header reads the same


def test_auto_prefers_a_free_gpu_over_the_real_busy_one():
    gpus = parse_nvidia_smi(BUSY_H100 + SYNTHETIC_IDLE_SECOND_GPU)
    assert [(g.index, g.busy) for g in gpus] == [(0, True), (1, False)]
    assert choose_gpu("auto", gpus).uuid == "GPU-00000000-1111-2222-3333-444444444444"
    # Alone, the busy GPU is still the one auto takes (better busy than none), and asking for it by index works.
    assert choose_gpu("auto", gpus[:1]).index == 0
    assert choose_gpu(0, gpus).busy
