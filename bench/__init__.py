"""`make bench`: performance figures on the large demo dataset, each beside a floor.

Run as `python -m bench.run` (see README, "Performance"). Benchmarks are not
tests: they print one `bench: ...` line per figure and exit non-zero when a
figure misses its target.
"""
