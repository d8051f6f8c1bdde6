"""Reasoning: learning (concept and association extraction) and asking (paths, consensus, explanations)."""
