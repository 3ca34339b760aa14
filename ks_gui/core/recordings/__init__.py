"""What is read: recording formats (SpikeGLX, Open Ephys, raw binaries) and channel maps. Needs no engine."""
