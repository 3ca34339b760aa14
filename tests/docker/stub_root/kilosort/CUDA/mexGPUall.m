% Stub of Kilosort's CUDA/mexGPUall.m for the driver tests: the driver only looks up this file's folder.
