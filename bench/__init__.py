"""Benchmarks: each prints its candidates as ratios against the fastest way measured in the same run."""
