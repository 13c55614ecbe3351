"""The floor of an audited page: what any page of the application that shows a record must do
with the audit trail's guarantees, and nothing else (``benchmarks/load.py``)."""
