# Fuzz targets (libFuzzer, clang): included by the top-level Makefile.
# `make fuzz` runs each target longer; the short run is part of `make test`.
