"""ks-gui: spike sorting with Kilosort in Docker, from one calm window or one command."""

__version__ = "0.1.0"
