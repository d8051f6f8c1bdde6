"""The plain-text evaluation set (issue 15) through the real in-process engine: the gate.

Fails below 90% accuracy, or below 90% precision for the answers given at confidence >= 0.5
(a wrong answer is worse than "nothing known"). Figures with timings, per kind, and the wrong
answers listed apart: bench/bench_reasoning_eval.py --set text.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sutra_stack.reasoning.evaluate import load, score_file
from sutra_stack.reasoning.text import split_sentences

TEXT_SET = Path(__file__).resolve().parents[1] / "data" / "reasoning_text_eval.json"
MIN_ACCURACY = 0.90
MIN_PRECISION = 0.90
CONFIDENT = 0.5


def test_the_text_set_is_big_and_varied_enough() -> None:
    data = load(TEXT_SET)
    sentences = [len(split_sentences(text)) for batch in data["batches"] for text in batch]
    assert sum(sentences) >= 200  # facts, one a sentence
    assert 3 * sum(n for n in sentences if n > 1) >= sum(sentences)  # a third of them told in paragraphs
    questions = data["questions"]
    assert len(questions) >= 120
    kinds = Counter(q["kind"] for q in questions)
    assert kinds["none"] >= 0.2 * len(questions)
    assert {"move", "move_past", "ownership", "role", "kinship", "date", "two_hop", "event", "negated"} <= set(kinds)


def test_accuracy_and_precision_on_the_text_set_are_at_least_90_percent() -> None:
    report = score_file(TEXT_SET)
    wrong = report.listing()
    precision, given = report.precision_at(CONFIDENT)
    assert report.accuracy >= MIN_ACCURACY, f"accuracy {report.accuracy:.1%} < {MIN_ACCURACY:.0%}:\n{wrong}"
    assert precision >= MIN_PRECISION, f"precision {precision:.1%} of {given} < {MIN_PRECISION:.0%}:\n{wrong}"
