"""Reasoning: learning (concept and association extraction) and asking (paths, consensus, explanations).

Use `Reasoner(store)`; it works on any `KnowledgeStore` (the in-process engine or a StorageClient).
"""

from sutra_stack.reasoning.models import Answer, LearnItem, LearnResult, PathStep, ReasoningPath
from sutra_stack.reasoning.reasoner import Reasoner

__all__ = ["Answer", "LearnItem", "LearnResult", "PathStep", "Reasoner", "ReasoningPath"]
