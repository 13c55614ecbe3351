"""The framework's ceiling: one Django view and nothing else, served as the application is
(``benchmarks/load.py``)."""
