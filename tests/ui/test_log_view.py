"""The live log keeps the last LINES_KEPT lines, in order, whatever the batches it is given."""

from __future__ import annotations

from ks_gui.ui.log_view import LINES_KEPT, LogView


def test_the_view_keeps_exactly_the_last_lines_in_order(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.show()
    lines = [f"0.00 sec, line {i}" for i in range(1, 4 * LINES_KEPT + 1)]
    view.append(lines[:10])
    assert view.text.toPlainText().splitlines() == lines[:10]
    for start in range(10, 2 * LINES_KEPT, 7_000):  # batches that fill the view, then push the oldest out
        view.append(lines[start : min(start + 7_000, 2 * LINES_KEPT)])
    assert view.text.toPlainText().splitlines() == lines[LINES_KEPT : 2 * LINES_KEPT]
    view.append(lines[2 * LINES_KEPT :])  # one batch twice as large as the view
    assert view.text.blockCount() == LINES_KEPT
    assert view.text.toPlainText().splitlines() == lines[-LINES_KEPT:]
    assert not view.text.document().isUndoAvailable()  # nothing dropped is kept for undo


def test_a_small_batch_after_a_full_view(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.append([str(i) for i in range(LINES_KEPT)])
    view.append(["last"])
    shown = view.text.toPlainText().splitlines()
    assert len(shown) == LINES_KEPT and shown[0] == "1" and shown[-1] == "last"
