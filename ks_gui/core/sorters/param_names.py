"""What Kilosort 2.5 and Kilosort 4 call the same setting, so that one's name given to the other gets a hint.

Only settings that truly correspond: Kilosort 4's parameters.py says Th_universal and Th_learned are "Th(1)" and
"Th(2) in previous versions"; the others do the same job under a new name (n_chan_bin, batch_size, highpass_cutoff,
whitening_range, the whitening stride nskip = nSkipCov, the single-channel PCs n_pcs = nPCs, drift correction's
smoothness sig_interp = sig, the time range tmin/tmax = trange). Left out as not the same: spkTh (a negative
threshold for drift detection and PCs) vs Th_single_ch, and Kilosort 2.5's nskip (batches for the spike PCs), which
is no Kilosort 4 setting although Kilosort 4 has a parameter of that name.
"""

from __future__ import annotations

# (Kilosort 2.5's names, Kilosort 4's names) of one setting; two names on one side share a pair's two values.
SAME_SETTINGS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("NchanTOT",), ("n_chan_bin",)),
    (("NT",), ("batch_size",)),
    (("fshigh",), ("highpass_cutoff",)),
    (("Th",), ("Th_universal", "Th_learned")),
    (("trange",), ("tmin", "tmax")),
    (("whiteningRange",), ("whitening_range",)),
    (("nSkipCov",), ("nskip",)),
    (("nPCs",), ("n_pcs",)),
    (("sig",), ("sig_interp",)),
)
_SIDE = {"kilosort2.5": 0, "kilosort4": 1}
_SHORT_TITLES = {"kilosort2.5": "Kilosort 2.5", "kilosort4": "Kilosort 4"}


def other_sorters_name(name: str, table: dict, *, renamed_only: bool = False) -> str | None:
    """The hint for `name` (not in `table`) when another sorter has a parameter of that name (in any letters'
    case), else None. `renamed_only`: only for the exact name of a setting `table` has under another name."""
    from ks_gui.core.sorters import SORTERS  # the sorters' tables are built on params.py, which asks here

    ours = next((s for s in SORTERS.values() if s.params is table), None)
    if ours is None:
        return None
    for other in SORTERS.values():
        if renamed_only:
            theirs = name if name in other.params else None
        else:
            theirs = next((known for known in other.params if known.lower() == name.lower()), None)
        if other is ours or theirs is None:
            continue
        their_title = _SHORT_TITLES.get(other.name, other.title)
        our_title = _SHORT_TITLES.get(ours.name, ours.title)
        said = _counterpart(theirs, other.name, ours.name)
        if said is not None:
            return f"{theirs} is {their_title}'s name: {our_title} calls it {said}"
        if not renamed_only:
            return f"{theirs} is a {their_title} parameter that {our_title} does not have"
    return None


def _counterpart(name: str, their_sorter: str, our_sorter: str) -> str | None:
    """Our name(s) for their parameter `name`, as a person reads them, or None."""
    if their_sorter not in _SIDE or our_sorter not in _SIDE:
        return None
    for setting in SAME_SETTINGS:
        theirs, ours = setting[_SIDE[their_sorter]], setting[_SIDE[our_sorter]]
        if name in theirs:
            said = " and ".join(ours)
            if len(theirs) == 2 and len(ours) == 1:  # one of a pair's two values
                said += f" ({('its first', 'its second')[theirs.index(name)]} value)"
            return said
    return None
