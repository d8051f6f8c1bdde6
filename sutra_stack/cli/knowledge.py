"""`sutra learn / ask / stats`: use the knowledge base from a shell."""

from __future__ import annotations
