"""The web client in a real browser against the real built-in stack: teach, ask, see the reasoning
as a graph, open and delete a concept, search, stats, bad uploads, a cancelled slow answer, the
storage outage banner and its recovery, keyboard-only use and a 360 px wide screen."""

from __future__ import annotations

import json
from typing import Any

from tests.supervisor.helpers import sutra
from tests.support.procs import wait_until
from tests.web.conftest import Page, Stack, new_page

FACTS = ["The Amberlight Museum is located in Velmora.", "Velmora is the capital of Ostrelia.",
         "Tarrowby lies in the county of Ashdale."]
QUESTION = "In which country is the Amberlight Museum?"


def learn_in_ui(p: Page, fact: str) -> None:
    page = p.page
    page.get_by_label("Facts to learn").fill(fact)
    page.get_by_role("button", name="Learn", exact=True).click()
    page.get_by_test_id("created").get_by_role("link", name=fact).wait_for()


def teach(stack: Stack) -> None:
    """The facts of the two-hop question, through sutra-api (learning them again changes nothing)."""
    with stack.api() as api:
        assert api.post("/learn/batch", json={"items": [{"content": f} for f in FACTS]}).status_code == 200


def ask_in_ui(p: Page, question: str) -> Any:
    page = p.open("ask")
    page.get_by_label("Question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.get_by_test_id("answer-text").wait_for()
    page.locator(".react-flow__node").first.wait_for()
    return page


def test_learn_three_facts_ask_two_hops_open_a_concept_from_the_graph_and_delete_it(page: Page, stack: Stack) -> None:
    p = page.open("learn")
    for fact in FACTS:
        learn_in_ui(page, fact)
    page.shot("learn")
    p = ask_in_ui(page, QUESTION)
    assert p.get_by_test_id("answer-text").inner_text() == "Ostrelia"
    assert "%" in p.locator(".confidence").inner_text()
    # both hops drawn: every concept of the path a node, every hop an edge with its relation
    with stack.api() as api:
        steps = api.post("/ask", json={"question": QUESTION}).json()["paths"][0]["steps"]
    assert len(steps) == 5
    for s in steps:
        assert p.get_by_test_id(f"rf__node-{s['concept_id']}").is_visible(), s
    for a, b in zip(steps, steps[1:], strict=False):
        edge = p.get_by_test_id(f"rf__edge-{a['concept_id']}->{b['concept_id']}")
        assert edge.count() == 1, (a, b)
    labels = p.locator(".react-flow__edge-text").all_text_contents()
    assert "located in" in labels and "capital of" in labels
    page.shot("ask")
    # the history of this tab
    assert p.get_by_role("region", name="Asked in this tab").get_by_role("button", name=QUESTION).is_visible()
    # click the middle concept (Velmora): its page opens
    velmora = steps[2]
    p.get_by_test_id(f"rf__node-{velmora['concept_id']}").click()
    p.get_by_test_id("concept-content").wait_for()
    assert p.get_by_test_id("concept-content").inner_text() == velmora["content"]
    assert "Last accessed" in p.locator(".facts").inner_text()
    p.locator(".react-flow__node").nth(1).wait_for()  # its neighbours as a graph
    capital_fact = steps[3]
    assert p.get_by_test_id(f"rf__node-{steps[4]['concept_id']}").count() == 0  # Ostrelia: two links away
    p.get_by_test_id(f"rf__node-{capital_fact['concept_id']}").click()  # expands that neighbour in place
    p.get_by_test_id(f"rf__node-{steps[4]['concept_id']}").wait_for()
    assert p.get_by_test_id("concept-content").inner_text() == velmora["content"]  # still Velmora's page
    page.shot("concept")
    p.get_by_role("button", name="Delete concept").click()
    p.get_by_role("alertdialog").get_by_role("button", name="Yes, delete").click()
    p.get_by_test_id("deleted").wait_for()
    with stack.api() as api:
        assert api.get(f"/concepts/{velmora['concept_id']}").status_code == 404


def test_search_tells_text_and_vector_hits_apart_and_stats_count_live(page: Page, stack: Stack) -> None:
    with stack.api() as api:
        api.post("/learn", json={"content": "Harbour cranes unload grain ships at Porthaven."})
    p = page.open("search")
    p.get_by_label("Search text").fill("grain ships")
    p.get_by_role("button", name="Search", exact=True).click()
    table = p.get_by_test_id("search-results")
    table.wait_for()
    first = table.locator("tbody tr").first
    assert "Porthaven" in first.inner_text() and "text + vector" in first.inner_text()  # found both ways
    assert float(first.locator("td").nth(1).inner_text()) > 0  # its cosine similarity
    with stack.api() as api:
        found = api.post("/search", json={"query": "grain ships", "top_k": 10, "mode": "both"}).json()["results"]
    tags = table.locator("tbody tr .tag").all_inner_texts()
    assert tags == [{"both": "text + vector", "vector": "vector", "text": "text"}[h["match"]] for h in found]
    page.shot("search")
    p = page.open("stats")
    p.get_by_test_id("storage-health").filter(has_text="up").wait_for()
    with stack.api() as api:
        before = api.get("/stats").json()["concepts"]
    p.get_by_test_id("stat-concepts").filter(has_text=str(before)).wait_for()
    with stack.api() as api:
        api.post("/learn", json={"content": "Ferries leave Porthaven at dawn."})
        after = api.get("/stats").json()["concepts"]
    assert after > before
    p.get_by_test_id("stat-concepts").filter(has_text=str(after)).wait_for()  # refreshed without a reload
    page.shot("stats")


def test_bad_uploads_show_their_errors_and_learn_the_good_lines(page: Page, stack: Stack) -> None:
    p = page.open("learn")
    lines = [
        json.dumps({"content": "Brisa Holm is the mayor of Tarrowby."}),
        "{not json",
        json.dumps({"text": "no content key"}),
        json.dumps({"content": "x", "metadata": {"deep": "y" * 20000}}),  # over MAX_METADATA_BYTES: sutra-api says
        "",
        json.dumps({"content": "Ashdale borders Velmora county."}),
    ]
    p.get_by_label("Or learn a file").set_input_files(
        files=[{"name": "facts.jsonl", "mimeType": "application/x-ndjson", "buffer": "\n".join(lines).encode()}])
    errors = p.get_by_test_id("line-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "Line 2: not valid JSON" in text
    assert 'Line 3: "content" is missing' in text
    assert "Line 4:" in text and "MAX_METADATA_BYTES" in text
    assert "Line 1" not in text and "Line 6" not in text
    assert p.get_by_role("status").filter(has_text="Learned 2 of 5 lines").is_visible()
    assert p.locator("#upload-progress").get_attribute("value") == "3"
    created = p.get_by_test_id("created")
    assert created.get_by_role("link", name="Brisa Holm is the mayor of Tarrowby.").is_visible()
    page.shot("learn-upload-errors")
    # a file that is neither .txt nor .jsonl
    p.get_by_label("Or learn a file").set_input_files(
        files=[{"name": "facts.csv", "mimeType": "text/csv", "buffer": b"a,b\n"}])
    p.get_by_test_id("line-errors").filter(has_text="only .txt (one fact per line) and .jsonl").wait_for()


def test_a_slow_answer_shows_a_spinner_and_can_be_cancelled(page: Page, stack: Stack) -> None:
    teach(stack)
    p = page.open("ask")
    held: list[Any] = []
    p.route("**/api/ask", lambda route: held.append(route))  # held: an answer that takes as long as we like
    p.get_by_label("Question").fill(QUESTION)
    p.get_by_role("button", name="Ask", exact=True).click()
    p.get_by_role("status").filter(has_text="Thinking").wait_for()
    page.shot("ask-slow")
    p.get_by_role("button", name="Cancel").click()
    p.get_by_role("status").filter(has_text="Thinking").wait_for(state="detached")
    assert p.get_by_test_id("error").count() == 0
    p.unroute("**/api/ask")
    p.get_by_role("button", name="Ask", exact=True).click()  # asking again works
    p.get_by_test_id("answer-text").wait_for()


def test_keyboard_only_ask_and_open_a_concept(page: Page, stack: Stack) -> None:
    teach(stack)
    p = page.open("ask")
    p.get_by_label("Question").wait_for()
    assert p.evaluate("document.activeElement.id") == "question"  # the page starts in its question box
    p.keyboard.type(QUESTION)
    p.keyboard.press("Enter")
    p.get_by_test_id("answer-text").wait_for()
    node = p.locator(".react-flow__node").first
    node.wait_for()
    for _ in range(40):  # tab until a graph node has the focus
        p.keyboard.press("Tab")
        if p.evaluate("document.activeElement.classList.contains('react-flow__node')"):
            break
    else:
        raise AssertionError("no graph node is reachable with Tab")
    outline = p.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    p.keyboard.press("Enter")
    p.get_by_test_id("concept-content").wait_for()


def test_storage_stopped_shows_the_banner_and_the_app_recovers(browser: Any, stack: Stack) -> None:
    teach(stack)
    with new_page(browser, stack.client_url, allow_console_errors=True) as page:
        p = page.open("ask")
        p.get_by_label("Question").wait_for()
        assert p.get_by_test_id("outage-banner").count() == 0
        assert sutra(stack.dir, "stop", "storage").returncode == 0
        try:
            banner = p.get_by_test_id("outage-banner")
            banner.wait_for(timeout=20_000)
            assert "storage server is down" in banner.inner_text() and "sutra start storage" in banner.inner_text()
            p.get_by_label("Question").fill(QUESTION)
            p.get_by_role("button", name="Ask", exact=True).click()
            p.get_by_test_id("error").wait_for()
            assert "storage" in p.get_by_test_id("error").inner_text().lower()
            page.shot("outage")
        finally:
            assert sutra(stack.dir, "start", "storage", timeout=60).returncode == 0
        wait_until(lambda: stack.api().get("/ready").status_code == 200, timeout=30, what="api ready again")
        p.get_by_test_id("outage-banner").wait_for(state="detached", timeout=20_000)
        p.get_by_role("button", name="Ask", exact=True).click()
        p.get_by_test_id("answer-text").wait_for()
        assert p.get_by_test_id("error").count() == 0


def test_every_page_works_360_px_wide(browser: Any, stack: Stack) -> None:
    teach(stack)
    with new_page(browser, stack.client_url, width=360, height=740) as page:
        for route in ("learn", "search", "stats", "ask"):
            p = page.open(route)
            p.locator("h1").wait_for()
            if route == "ask":
                p.get_by_label("Question").fill(QUESTION)
                p.get_by_role("button", name="Ask", exact=True).click()
                p.locator(".react-flow__node").first.wait_for()
            width = p.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"#/{route} is {width} px wide at 360 px"
            page.shot(f"{route}-360")


def test_a_fact_that_no_longer_holds_is_shown_as_superseded(page: Page, stack: Stack) -> None:
    with stack.api() as api:
        api.post("/learn", json={"content": "Agnes Tull lived in Hollin Cross from 2005 to 2015. "
                                            "That year she moved to Brannock."})
    p = ask_in_ui(page, "Where did Agnes Tull live in 2010?")
    assert p.get_by_test_id("answer-text").inner_text() == "Hollin Cross"
    assert "Hollin Cross from 2005 to 2015" in p.get_by_test_id("superseded").inner_text()
    old = p.locator(".react-flow__edge.superseded")
    assert old.count() >= 1
    assert "superseded 2005–2015" in " ".join(p.locator(".react-flow__edge-text").all_text_contents())
    page.shot("ask-superseded")
    p.get_by_label("Question").fill("Where does Agnes Tull live?")
    p.get_by_role("button", name="Ask", exact=True).click()
    p.get_by_test_id("answer-text").filter(has_text="Brannock").wait_for()  # as things stand now
    superseded = p.get_by_test_id("superseded")
    assert superseded.count() == 0 or "Brannock" not in superseded.inner_text()  # the current fact is not
