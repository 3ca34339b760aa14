from tests.ui.conftest import window  # noqa: F401  (the same window fixture as the widget tests)
