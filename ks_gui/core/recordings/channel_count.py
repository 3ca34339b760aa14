"""Whether a channel count given for a recording (typed in the form, `--channels`, `--param n_chan_bin=…`)
contradicts what the recording's own files say: a SpikeGLX `.meta` or Open Ephys `structure.oebin` names the exact
count; a probe file or Kilosort channel map beside a raw binary places contacts on channels a smaller count lacks.

A contradicted count would sort anyway (the probe dropped, a linear map in its place) into noise: it is refused."""

from __future__ import annotations

from ks_gui.core.recordings.recording import BINARY, Recording


def channel_count_problem(recording: Recording, n_channels: int, own_map: bool = False) -> str | None:
    """One sentence saying how `n_channels` contradicts the recording's metadata or probe file, or None.
    `own_map`: the user chose a channel map of their own, which replaces a probe file beside a raw binary."""
    source = recording.metadata
    if source is None or not n_channels:
        return None
    if recording.format != BINARY:  # the .meta or structure.oebin names the file's exact channel count
        if recording.n_channels and n_channels != recording.n_channels:
            return (
                f"the recording's metadata ({source.name}) says it has {recording.n_channels} channels, not "
                f"{n_channels}: set the channel count to {recording.n_channels}"
            )
        return None
    chan_map = recording.channel_map
    if own_map or chan_map is None or n_channels >= chan_map.n_channels:
        return None  # more channels than the probe file names: the extra ones (sync, aux) are left unconnected
    return (
        f"the probe file beside the recording ({source.name}) places contacts on {chan_map.n_channels} channels, "
        f"more than {n_channels}: set the channel count to {chan_map.n_channels}, or move {source.name} away to sort "
        "without it"
    )
