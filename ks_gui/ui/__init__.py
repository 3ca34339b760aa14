"""The PySide6 window: views and a worker that adapts core's run events into signals. Never imports docker.

The window's first frame comes fast (issue #8, tests/bench/window_start.py), and stays so by three rules:
- What the first frame does not show is built after it: the window completes itself (MainWindow._complete), icons get
  their glyphs (icons.py), and recordings, jobs, sorts and dialogs load their modules when first used.
- Code that runs before the first frame does not touch the `Qt` namespace (QtCore.Qt): PySide builds all of its
  ~90 enums, some 11 ms, on first use. Such modules write `QtCore.Qt.X` in code that runs later.
- The Qt-free modules the window needs are imported here, before PySide6: PySide reads the source of every module
  imported after it (to look for `from __feature__ import`, PYSIDE-2029), ~0.2 ms each.
tests/ui/test_window_start.py checks the first two.
"""

from ks_gui.core import gpu_choice, license, queue, settings, sorters  # noqa: F401 (see above)
from ks_gui.core.ground import contract  # noqa: F401 (see above)
from ks_gui.core.sorters import params  # noqa: F401 (see above)
