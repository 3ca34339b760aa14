"""Setup checks of this machine and its neighbours: doctor, a GPU server's and a cluster's checks, the display's
libraries, the desktop entry, Storage. None of them sorts."""
