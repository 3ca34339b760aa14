from ks_gui.core.places.output_lines import LineSplitter


def test_lines_cut_across_frames_are_joined():
    splitter = LineSplitter()
    assert splitter.feed(b"Time   0s. Computing whit") == []
    assert splitter.feed(b"ening matrix.. \nGetting channel") == ["Time   0s. Computing whitening matrix.. "]
    assert splitter.feed(b" whitening matrix... \n") == ["Getting channel whitening matrix... "]


def test_carriage_return_progress_and_crlf():
    splitter = LineSplitter()
    assert splitter.feed(b"10%\r20%\r30%\r") == ["10%", "20%"]
    # The trailing \r may be the first half of \r\n: it is held until the next frame says which.
    assert splitter.feed(b"\ncluster_id\tKSLabel\r\n") == ["30%", "cluster_id\tKSLabel"]


def test_utf8_character_split_between_frames():
    splitter = LineSplitter()
    assert splitter.feed("pitch is 20 µ".encode()[:-1]) == []
    assert splitter.feed("µm\n".encode()[1:]) == ["pitch is 20 µm"]


def test_prompt_without_line_end_stays_pending():
    splitter = LineSplitter()
    assert splitter.feed(b"Please enter your MathWorks Account password and press Enter:") == []
    assert splitter.pending.endswith("press Enter:")
    assert splitter.take_pending().startswith("Please enter")
    assert splitter.pending == ""
    assert splitter.finish() == []


def test_finish_returns_the_last_unterminated_line():
    splitter = LineSplitter()
    splitter.feed(b"hp_filtered = True")
    assert splitter.finish() == ["hp_filtered = True"]
