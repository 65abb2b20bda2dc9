"""Benchmarks run by `make bench`: each figure is printed with its baseline from the same run."""
