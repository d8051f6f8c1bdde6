"""Sutra stack: an explainable knowledge-graph reasoning service and the supervisor that runs it."""

__version__ = "0.1.0"
