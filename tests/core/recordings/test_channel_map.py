"""Channel maps: the Kilosort .mat the launcher writes, and the users' own .mat, .prb and .json files."""

from __future__ import annotations

import numpy as np
import probeinterface
import pytest
import scipy.io

from ks_gui.core.recordings.channel_map import ChannelMapError, linear, read_file, read_kilosort_mat


def test_write_mat_follows_the_contract(tmp_path):
    linear(4).write_mat(tmp_path / "chanMap.mat", 30000.0)
    mat = scipy.io.loadmat(tmp_path / "chanMap.mat", squeeze_me=True)
    assert list(mat["chanMap"]) == [1, 2, 3, 4] and list(mat["chanMap0ind"]) == [0, 1, 2, 3]
    assert list(mat["connected"]) == [True] * 4 and list(mat["ycoords"]) == [0, 20, 40, 60]
    assert list(mat["kcoords"]) == [1] * 4 and mat["fs"] == 30000.0 and mat["name"] == "linear 4"


def test_a_kilosort_mat_that_leaves_channels_out(tmp_path):
    """Kilosort's own neuropixPhase3A map style: chanMap lists file channels; those missing are not connected."""
    scipy.io.savemat(
        tmp_path / "map.mat",
        {
            "chanMap": np.array([[1], [2], [4]], dtype=float),
            "connected": np.array([[1], [0], [1]], dtype=float),
            "xcoords": np.array([[0.0], [10.0], [20.0]]),
            "ycoords": np.array([[0.0], [15.0], [30.0]]),
            "kcoords": np.array([[1], [1], [2]], dtype=float),
            "fs": 20000.0,
        },
    )
    channel_map, fs = read_kilosort_mat(tmp_path / "map.mat")
    assert fs == 20000.0 and channel_map.n_channels == 4
    assert channel_map.connected == (True, False, False, True)
    assert channel_map.x_um[3] == 20.0 and channel_map.shank[3] == 2 and channel_map.n_shanks == 2


def test_a_mat_without_chan_map(tmp_path):
    scipy.io.savemat(tmp_path / "other.mat", {"x": 1})
    with pytest.raises(ChannelMapError, match="has no chanMap variable"):
        read_file(tmp_path / "other.mat")


def test_prb_and_probeinterface_json_files(tmp_path):
    probe = probeinterface.generate_linear_probe(num_elec=8, ypitch=25)
    probe.set_device_channel_indices(np.arange(8)[::-1])
    group = probeinterface.ProbeGroup()
    group.add_probe(probe)
    probeinterface.write_prb(tmp_path / "probe.prb", group)
    probeinterface.write_probeinterface(tmp_path / "probe.json", group)
    for name in ("probe.prb", "probe.json"):
        channel_map = read_file(tmp_path / name, n_channels=9)  # one more channel in the file: not connected
        assert channel_map.n_channels == 9 and channel_map.n_connected == 8 and not channel_map.connected[8]
        assert channel_map.y_um[7] == 0.0 and channel_map.y_um[0] == 175.0  # contact 0 is recorded on channel 7


def test_fitted_pads_with_disconnected_channels_and_refuses_a_shorter_file():
    channel_map = linear(4)
    assert channel_map.fitted(4) is channel_map
    assert channel_map.fitted(6).connected == (True,) * 4 + (False,) * 2
    assert channel_map.fitted(3) is None
