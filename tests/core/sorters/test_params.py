import pytest

from ks_gui.core.sorters import KILOSORT25, SORTERS, param_problems
from ks_gui.core.sorters.params import ParamError, parse_assignment

TABLE = KILOSORT25.params


def test_json_values_are_parsed_and_checked():
    assert parse_assignment("Th=[10,4]", TABLE) == ("Th", [10, 4])
    assert parse_assignment("NchanTOT=385", TABLE) == ("NchanTOT", 385)
    assert parse_assignment("trange=[0,null]", TABLE) == ("trange", [0, None])
    assert parse_assignment("fs=30000.5", TABLE) == ("fs", 30000.5)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Threshold=3", "unknown parameter 'Threshold'"),
        ("nt=32768", "did you mean NT?"),
        ("Th=10", "Th must be a pair of numbers"),
        ("NchanTOT=thirty", "not valid JSON"),
        ("NchanTOT=0", "at least 1"),
        ("trange=[10,5]", "time range"),
        ("NT", "is not KEY=VALUE"),
    ],
)
def test_bad_parameters_say_what_is_wrong(text, words):
    with pytest.raises(ParamError, match=words.replace("?", r"\?").replace("[", r"\[")):
        parse_assignment(text, TABLE)


def test_defaults_follow_kilosort_2_5_2():
    defaults = KILOSORT25.defaults()
    assert defaults["NT"] == 64 * 1024 - 64  # v2.5.2's fix for the "spike holes" bug
    assert defaults["Th"] == [10, 4]
    assert defaults["fig"] == 0  # no figures in a container
    assert param_problems(KILOSORT25, defaults) == []


def test_nt_must_be_a_multiple_of_32():
    assert param_problems(KILOSORT25, {"NT": 65000}) == ["NT must be a multiple of 32, not 65000"]


KILOSORT4_TABLE = SORTERS["kilosort4"].params


@pytest.mark.parametrize(
    ("text", "table", "message"),
    [
        ("NchanTOT=32", KILOSORT4_TABLE, "NchanTOT is Kilosort 2.5's name: Kilosort 4 calls it n_chan_bin"),
        ("nchantot=32", KILOSORT4_TABLE, "NchanTOT is Kilosort 2.5's name: Kilosort 4 calls it n_chan_bin"),
        ("NT=32704", KILOSORT4_TABLE, "NT is Kilosort 2.5's name: Kilosort 4 calls it batch_size"),  # not nt
        ("fshigh=250", KILOSORT4_TABLE, "fshigh is Kilosort 2.5's name: Kilosort 4 calls it highpass_cutoff"),
        ("trange=[0,60]", KILOSORT4_TABLE, "trange is Kilosort 2.5's name: Kilosort 4 calls it tmin and tmax"),
        ("nSkipCov=10", KILOSORT4_TABLE, "nSkipCov is Kilosort 2.5's name: Kilosort 4 calls it nskip"),
        ("ThPre=8", KILOSORT4_TABLE, "ThPre is a Kilosort 2.5 parameter that Kilosort 4 does not have"),
        ("batch_size=60000", TABLE, "batch_size is Kilosort 4's name: Kilosort 2.5 calls it NT"),
        ("Th_universal=9", TABLE, "Th_universal is Kilosort 4's name: Kilosort 2.5 calls it Th (its first value)"),
        ("whitening_range=16", TABLE, "whitening_range is Kilosort 4's name: Kilosort 2.5 calls it whiteningRange"),
        ("max_peels=50", TABLE, "max_peels is a Kilosort 4 parameter that Kilosort 2.5 does not have"),
        ("n_chan=32", KILOSORT4_TABLE, "unknown parameter 'n_chan' (nearest: n_chan_bin, nearest_chans)"),
        ("xyz=1", TABLE, "unknown parameter 'xyz': no parameter of this sorter is named like it"),
    ],
)
def test_an_unknown_name_gets_one_line_about_it(text, table, message):
    with pytest.raises(ParamError) as caught:
        parse_assignment(text, table)
    assert str(caught.value) == message


def test_names_that_both_kilosorts_use_are_taken_as_they_are():
    assert parse_assignment("fs=30000", KILOSORT4_TABLE) == ("fs", 30000)
    assert parse_assignment("nblocks=5", TABLE) == ("nblocks", 5)
