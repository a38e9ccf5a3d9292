"""One module per command: the thin click layer over the plain Python API."""
