import pytest

from ks_gui.core.sorters import KILOSORT25, param_problems
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
