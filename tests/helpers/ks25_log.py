# ruff: noqa: UP031 (MATLAB's fprintf formats, kept verbatim, are printf formats)
"""A Kilosort 2.5 run's console output, synthesised from the real format strings.

Formats are verbatim from reference/kilosort25_container.md §3a/§3c (MATLAB fprintf formats, trailing spaces kept),
printed when Kilosort prints them: batch lines when rem(k, 100) == 1 (and at k == Nbatch for the detector), split
lines when rem(ik, 100) == 1 while the cluster count grows with the splits. Markers as in docker/CONTRACT.md.
"""

from __future__ import annotations

from ks_gui.core.ground.contract import MEX_FILES as MEX


def printed_batches(n: int, last: bool = False) -> list[int]:
    ks = list(range(1, n + 1, 100))
    if last and ks[-1] != n:
        ks.append(n)
    return ks


def ks25_run(n_batches: int = 1650, units: int = 300, markers: bool = True, compile_files: int = 9) -> list[str]:
    lines: list[str] = []

    def mark(text: str) -> None:
        if markers:
            lines.append(f"[ks-gui] {text}")

    lines.append("MATLAB is selecting SOFTWARE OPENGL rendering.")
    mark("stage start")
    mark("stage compile")
    for i, name in enumerate(MEX[:compile_files], start=1):
        mark(f"compile {i}/9 {name}.cu")
        lines += ["Building with 'NVIDIA CUDA Compiler'.", "MEX completed successfully."]
    lines.append("Looking for data inside /data/rec ")
    mark("stage preprocess")
    lines.append("Time %3.0fs. Computing whitening matrix.. " % 0)
    lines.append("Getting channel whitening matrix... ")
    lines.append("Channel-whitening matrix computed. ")
    lines.append("Time %3.0fs. Loading raw data and applying filters... " % 66)
    lines.append("Time %3.0fs. Finished preprocessing %d batches. " % (2029, n_batches))
    mark("stage drift")
    lines.append("pitch is %d um" % 20)
    for k in printed_batches(n_batches, last=True):
        lines.append("%2.2f sec, %d batches, %d spikes " % (0.4 * k, k, 900 * k))
    lines.append("time %2.2f, Shifted up/down %d batches. " % (0.5 * n_batches, n_batches))
    mark("stage learn")
    lines.append("Time %3.0fs. Optimizing templates ..." % 900)
    for k in printed_batches(n_batches):
        lines.append(
            "%2.2f sec, %d / %d batches, %d units, nspks: %2.4f, mu: %2.4f, nst0: %d, merges: %2.4f, %2.4f, %2.4f "
            % (900 + k, k, n_batches, units, 1000.0, 12.0, 900, 1.0, 0.0, 0.0)
        )
    lines.append("Elapsed time is %f seconds." % 2900.5)
    lines.append("Finished learning templates ")
    lines.append("Time %3.0fs. Optimizing templates ..." % 2901)
    for k in printed_batches(n_batches):
        lines.append(
            "%2.2f sec, %d / %d batches, %d units, nspks: %2.4f, mu: %2.4f, nst0: %d "
            % (2901 + k, k, n_batches, units, 1000.0, 12.0, 900)
        )
    lines.append("Elapsed time is %f seconds." % 4600.2)
    lines.append("Number of spikes before applying cutoff: %d" % (n_batches * 900))
    mark("stage merge_split")
    lines.append("initialized spike counts")
    lines += ["merged %d into %d " % (12, 40), "merged %d into %d " % (77, 3)]
    clusters, splits, ik = units, 0, 1
    while ik <= clusters:
        if ik % 100 == 1:
            lines.append("Found %d splits, checked %d/%d clusters, nccg %d " % (splits, ik, clusters, splits // 2))
        if ik % 7 == 0:  # a split adds a cluster at the end: the total grows while the loop runs
            splits += 1
            clusters += 1
        ik += 1
    lines.append(
        "Finished splitting. Found %d splits, checked %d/%d clusters, nccg %d " % (splits, clusters, clusters, 3)
    )
    lines.append("Removing %g spikes below cutoff from rez." % 1203)
    lines.append("found %d good units " % 152)
    mark("stage export")
    lines.append("Saving results to Phy  ")
    lines.append("Saving final results in rez2  ")
    mark(f"result units={clusters} good=152 spikes={n_batches * 900 - 1203}")
    mark("stage done")
    return lines
