"""Offline evaluation: grouped splits, classification and suggestion metrics, reports.

``jixiao eval classify|suggest`` is the entry point (``service/commands/eval.py``); the
metric modules are pure so the numbers can be recomputed from saved predictions.
"""
