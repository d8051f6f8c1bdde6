"""sutra-api (:8000): the REST API to learn text and ask questions with explainable reasoning paths."""
