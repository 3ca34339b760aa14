"""The PySide6 window: views and a worker that adapts core's run events into signals. Never imports docker."""
