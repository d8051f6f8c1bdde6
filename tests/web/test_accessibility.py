"""axe-core (the engine browsers' accessibility tools use) on every page of the client, with data on
it: no serious or critical violation (contrast AA, labels, names, roles, landmarks)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Page, Stack
from tests.web.test_pages import FACTS, QUESTION, teach

SERIOUS = ("serious", "critical")


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa",
                                                                              "best-practice"]}})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


@pytest.mark.parametrize("route", ["ask", "learn", "search", "stats", "concept"])
def test_no_serious_accessibility_violation(page: Page, stack: Stack, route: str) -> None:
    teach(stack)
    p = page.open("ask" if route in ("ask", "concept") else route)
    p.locator("h1").wait_for()
    if route in ("ask", "concept"):
        p.get_by_label("Question").fill(QUESTION)
        p.get_by_role("button", name="Ask", exact=True).click()
        p.locator(".react-flow__node").first.wait_for()
    if route == "concept":
        p.locator(".react-flow__node").nth(2).click()
        p.get_by_test_id("concept-content").wait_for()
        p.get_by_role("button", name="Delete concept").click()  # the confirmation is checked too
        p.get_by_role("alertdialog").wait_for()
    if route == "learn":
        p.get_by_label("Facts to learn").fill(FACTS[0])
        p.get_by_role("button", name="Learn", exact=True).click()
        p.get_by_test_id("created").wait_for()
    if route == "search":
        p.get_by_label("Search text").fill("Velmora")
        p.get_by_role("button", name="Search", exact=True).click()
        p.get_by_test_id("search-results").wait_for()
    if route == "stats":
        p.get_by_test_id("storage-health").filter(has_text="up").wait_for()
    assert serious_violations(p) == []
