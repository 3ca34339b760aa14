// stub CUDA source for the ks-gui driver tests: the stub mexcuda never reads it
