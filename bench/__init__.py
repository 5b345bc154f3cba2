"""Benchmarks (`make bench`): measured, printed, never asserted as timed tests."""
