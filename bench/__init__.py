"""arsdk's benchmarks: ``python -m bench`` (or ``make bench``) writes bench/results/<date>.json and .md."""
