from pathlib import Path

from ks_gui.core.job import SortJob
from ks_gui.core.places.gpus import parse_nvidia_smi
from ks_gui.core.queue import JobQueue
from ks_gui.core.recordings.recording import Recording

TWO_GPUS = parse_nvidia_smi(
    "0, GPU-a, NVIDIA RTX A6000, 49140, 30211, 87, 8.6, 550.54.15\n"
    "1, GPU-b, NVIDIA RTX A6000, 49140, 4, 0, 8.6, 550.54.15\n"
)


def job(name: str) -> SortJob:
    recording = Recording(format="binary", binary=Path(f"/data/{name}/recording.bin"), size_bytes=64)
    return SortJob(recording=recording, output=Path(f"/out/{name}"), license=None, job_id=name)


def ids(placements):
    return [(p.job.job_id, p.device) for p in placements]


def test_one_job_per_gpu_and_the_next_starts_when_one_ends():
    queue = JobQueue()
    for name in "abc":
        queue.add(job(name), "auto")
    assert ids(queue.start_next(TWO_GPUS)) == [("a", 1), ("b", 0)]  # the idle GPU first
    assert queue.start_next(TWO_GPUS) == [] and [j.job_id for j in queue.waiting] == ["c"]
    queue.finished("b")
    assert ids(queue.start_next(TWO_GPUS)) == [("c", 0)]


def test_a_job_for_a_busy_gpu_waits_without_blocking_the_others():
    queue = JobQueue()
    queue.add(job("a"), 1)
    queue.add(job("b"), 1)
    queue.add(job("c"), 0)
    assert ids(queue.start_next(TWO_GPUS)) == [("a", 1), ("c", 0)]
    queue.finished("a")
    assert ids(queue.start_next(TWO_GPUS)) == [("b", 1)]


def test_no_gpu_runs_one_at_a_time_on_the_cpu_and_limits_are_configurable():
    queue = JobQueue(per_gpu=2)
    for name in "abc":
        queue.add(job(name), "none")
    assert ids(queue.start_next([])) == [("a", "cpu"), ("b", "cpu")]


def test_reorder_and_remove_waiting_jobs():
    queue = JobQueue()
    for name in "abcd":
        queue.add(job(name), "auto")
    queue.move("d", -2)
    queue.move("a", 10)
    queue.remove("b")
    assert [j.job_id for j in queue.waiting] == ["d", "c", "a"]


def test_a_placement_hands_on_the_gpu_it_chose_and_the_users_request_on_the_cpu_line():
    queue = JobQueue()
    queue.add(job("a"), "auto")
    queue.add(job("b"), "auto")
    (on_gpu,) = queue.start_next(TWO_GPUS[:1])
    assert on_gpu.gpu_request == 0  # chosen once, here: the check does not choose again
    cpu_queue = JobQueue()
    cpu_queue.add(job("c"), "auto")
    (on_cpu,) = cpu_queue.start_next([])  # nvidia-smi has not answered yet
    assert on_cpu.device == "cpu" and on_cpu.gpu_request == "auto"


def test_a_servers_sorts_wait_on_the_servers_gpus_not_on_this_computers():
    queue = JobQueue()
    server = "ssh://me@gpu-server"
    for name in "abc":
        queue.add(job(name), "auto")
    for name in "xyz":
        queued = queue.add(job(name), "auto")
        queued.job.place = server
    # This computer has no GPU (one sort on its CPU); the server has two: one sort on each.
    assert ids(queue.start_next([], {server: TWO_GPUS})) == [("a", "cpu"), ("x", 1), ("y", 0)]
    queue.finished("x")
    assert ids(queue.start_next([], {server: TWO_GPUS})) == [("z", 1)]


def test_a_clusters_sorts_all_start_at_once_its_own_queue_places_them():
    queue = JobQueue()
    for name in "abcd":
        queued = queue.add(job(name), "auto")
        queued.job.place = "slurm"
    queue.add(job("here"), "none")
    assert ids(queue.start_next([])) == [("a", "cpu"), ("b", "cpu"), ("c", "cpu"), ("d", "cpu"), ("here", "cpu")]


def test_a_waiting_job_starts_when_the_first_sort_it_may_follow_ends():
    queue = JobQueue()
    for name, request in (("a", "auto"), ("b", "auto"), ("c", "auto"), ("d", 1), ("e", "auto")):
        queue.add(job(name), request)
    queue.start_next(TWO_GPUS)  # a on GPU 1, b on GPU 0
    starts = queue.expected_starts({"a": 600.0, "b": 300.0}, TWO_GPUS)
    # c takes the first place to free (b's, GPU 0); d wants GPU 1 (a's end); e waits behind both: not known.
    assert starts == {"c": 300.0, "d": 600.0}
    # While a sort's own estimate is not known yet, nothing is said of what follows it.
    assert queue.expected_starts({"a": None, "b": 300.0}, TWO_GPUS) == {"c": 300.0}
