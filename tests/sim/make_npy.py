"""Generate the stand-in sorter's prebuilt phy result sets (test fixture, never shipped).

Usage: python make_npy.py OUTDIR

Writes one folder per channel count, OUTDIR/<Nchan>/, holding the files Kilosort 2.5.2's rezToPhy.m writes
(dtypes and shapes as rezToPhy produces them) plus `counts`, one line "units=<n> good=<n> spikes=<n>" that the
stand-in's result marker repeats. Deterministic: the same bytes on every run (fixed seeds), so docker's build cache
hits when nothing changed.
"""

import os
import sys

import numpy as np

# Connected-channel counts (Kilosort's Nchan) for which a result set exists.
CHANNEL_COUNTS = (4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 374, 383, 384)

FS = 30000  # samples per second
SPAN = 5 * FS  # every spike lies in the first 5 s
NT0 = 82  # template length of templates.npy (Wphy padding)
NT0MIN = 20  # sample of the trough
PITCH = 20.0  # um, linear probe
SCALEPROC = 200.0


def n_templates(nchan):
    return int(min(48, max(6, nchan // 2)))


def crlf_tsv(path, header, rows):
    with open(path, "wb") as f:
        f.write((header + "\r\n").encode())
        for r in rows:
            f.write((r + "\r\n").encode())


def make_set(outdir, nchan):
    rng = np.random.default_rng(1000 + nchan)
    nt = n_templates(nchan)
    os.makedirs(outdir, exist_ok=True)

    # Templates: a biphasic waveform on the peak channel, decaying over neighbours (whitened units).
    t = np.arange(NT0, dtype=np.float64)
    wave = -np.exp(-0.5 * ((t - NT0MIN - 21) / 2.5) ** 2) + 0.35 * np.exp(-0.5 * ((t - NT0MIN - 29) / 5.0) ** 2)
    peak = np.linspace(0, nchan - 1, nt).round().astype(int)
    templates = np.zeros((nt, NT0, nchan), dtype=np.float32)
    ch = np.arange(nchan)
    for i in range(nt):
        spread = np.exp(-0.5 * ((ch - peak[i]) / 1.5) ** 2)
        spread[spread < 0.01] = 0.0
        amp = 0.05 + 0.1 * rng.random()
        templates[i] = (amp * np.outer(wave, spread)).astype(np.float32)

    # Spikes: 20..80 per template, refractory-respecting times inside the first 5 s.
    times, temps = [], []
    for i in range(nt):
        n = int(rng.integers(20, 81))
        isi = rng.integers(90, 2 * SPAN // n, size=n)  # >= 3 ms apart
        st = 100 + np.cumsum(isi)
        st = st[st < SPAN - 100]
        times.append(st)
        temps.append(np.full(st.size, i))
    times = np.concatenate(times)
    temps = np.concatenate(temps)
    order = np.argsort(times, kind="stable")
    spike_times = times[order].astype(np.uint64)
    spike_templates = temps[order].astype(np.uint32)
    nspk = spike_times.size
    amplitudes = (12.0 + 6.0 * rng.random(nspk)).astype(np.float64)

    templates_ind = np.tile(np.arange(nchan, dtype=np.float64), (nt, 1))
    channel_map = np.arange(nchan, dtype=np.int32)
    channel_positions = np.column_stack([np.zeros(nchan), PITCH * (1 + np.arange(nchan))]).astype(np.float64)
    whitening = np.eye(nchan, dtype=np.float64) / SCALEPROC
    whitening_inv = np.linalg.inv(whitening)
    flat = templates.reshape(nt, -1).astype(np.float64)
    norm = np.linalg.norm(flat, axis=1)
    similar = (flat @ flat.T / np.outer(norm, norm)).astype(np.float32)

    arrays = {
        "spike_times": spike_times,
        "spike_templates": spike_templates,
        "spike_clusters": spike_templates.copy(),
        "amplitudes": amplitudes,
        "templates": templates,
        "templates_ind": templates_ind,
        "channel_map": channel_map,
        "channel_positions": channel_positions,
        "whitening_mat": whitening,
        "whitening_mat_inv": whitening_inv,
        "similar_templates": similar,
    }
    for name, arr in arrays.items():
        np.save(os.path.join(outdir, name + ".npy"), arr)

    # Labels: about two thirds "good", deterministic.
    good = [(i * 7) % 3 != 2 for i in range(nt)]
    contam = [0.0 if g else 10.0 + (i * 13) % 50 for i, g in enumerate(good)]
    # Template amplitude in raw units: peak-to-peak of the unwhitened template times the mean spike amplitude.
    ptp = (templates.max(axis=1) - templates.min(axis=1)).max(axis=1) * SCALEPROC
    amp_t = [float(ptp[i] * amplitudes[spike_templates == i].mean()) for i in range(nt)]
    crlf_tsv(
        os.path.join(outdir, "cluster_KSLabel.tsv"),
        "cluster_id\tKSLabel",
        [f"{i}\t{'good' if g else 'mua'}" for i, g in enumerate(good)],
    )
    crlf_tsv(
        os.path.join(outdir, "cluster_ContamPct.tsv"),
        "cluster_id\tContamPct",
        [f"{i}\t{c:.1f}" for i, c in enumerate(contam)],
    )
    crlf_tsv(
        os.path.join(outdir, "cluster_Amplitude.tsv"),
        "cluster_id\tAmplitude",
        [f"{i}\t{a:.1f}" for i, a in enumerate(amp_t)],
    )

    with open(os.path.join(outdir, "counts"), "w") as f:
        f.write(f"units={nt} good={sum(good)} spikes={nspk}\n")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: make_npy.py OUTDIR\n")
        return 2
    for nchan in CHANNEL_COUNTS:
        make_set(os.path.join(argv[1], str(nchan)), nchan)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
