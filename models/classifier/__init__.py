"""The tier classifier (see contract.py)."""
