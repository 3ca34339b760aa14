"""Where a sort runs: this computer's Docker, a Python environment on this computer. Each place owns its connection,
its GPUs, its user, how paths appear to the sorter and how earlier runs are found. Only these modules import docker."""
