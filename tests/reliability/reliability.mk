# Reliability tests: included by the top-level Makefile.
