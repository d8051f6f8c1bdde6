"""The dashboard page sutra-control serves at its own `/`, in Debian's Chromium against the real
built-in stack: every service listed live, read-only without the admin token (saying what it
unlocks), the token asked once per tab and refused when wrong, a restart of the api seen going down
and back without a reload, the page following a restart of the control process itself, the recent
transitions on a page just opened, a confirmation that never makes the page scroll sideways, logs paged
back, bulk jobs cancelled and resumed, a file dropped on the drop zone, a route's latency and the
storage's operations/s after traffic; each panel saved as a screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.supervisor.helpers import builtin_env, env_port, sutra
from tests.web.conftest import Page, Stack, new_page
from tests.web.dashboard_support import (
    PANELS,
    RECORD_BADGES,
    admin_token,
    count_of,
    ensure_dashboard,
    no_sideways_scroll,
    pid_of,
    shoot_panels,
    unlock,
)

SERVICES = ("storage", "api", "hybrid", "client", "control")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of their own: these tests restart services and learn thousands of lines, which the
    client's tests sharing the session's stack must not see."""
    d = tmp_path_factory.mktemp("dashboard-stack")
    _, _, api_port = builtin_env(d)
    with (d / ".env").open("a") as f:
        f.write("SUTRA_STORAGE_FSYNC=off\nSUTRA_HYBRID_RELOAD=none\nSUTRA_API_RELOAD=none\n")
    r = sutra(d, "up", "-d", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        yield Stack(d, f"http://127.0.0.1:{env_port(d, 'SUTRA_CLIENT_PORT')}", f"http://127.0.0.1:{api_port}")
    finally:
        sutra(d, "down", timeout=60)


@pytest.fixture(scope="module")
def control(stack: Stack) -> str:
    ensure_dashboard()
    return f"http://127.0.0.1:{env_port(stack.dir, 'SUTRA_CONTROL_PORT')}"


@pytest.fixture
def dash(browser: Any, control: str) -> Iterator[Page]:
    with new_page(browser, control) as p:
        yield p


def test_the_page_is_served_by_the_control_process_with_its_headers(control: str) -> None:
    r = httpx.get(control + "/")
    assert r.status_code == 200 and '<div id="root">' in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    asset = r.text.split('src="', 1)[1].split('"', 1)[0]
    assert httpx.get(control + asset).status_code == 200
    assert httpx.get(control + "/api/status").json()["process_control"] is True  # the API is still there


def test_read_only_without_the_token_lists_every_service_and_says_what_the_token_unlocks(dash: Page) -> None:
    page = dash.page
    page.goto(dash.base + "/")
    for name in SERVICES:
        page.get_by_test_id(f"state-{name}").filter(has_text="ready").wait_for()
    assert page.get_by_test_id("live").inner_text() == "read-only"
    text = page.locator("form.token").inner_text()
    assert "restarting services" in text and "logs" in text and "bulk learning" in text
    assert page.get_by_role("button", name="restart api").count() == 0  # no actions without the token
    dash.shot("dashboard-read-only")


def test_a_wrong_token_is_refused_and_the_right_one_is_asked_once_per_tab(dash: Page, stack: Stack) -> None:
    page = dash.page
    page.goto(dash.base + "/")
    page.get_by_role("textbox", name="Token").fill("not-the-token")
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("alert").filter(has_text="wrong admin token").wait_for(timeout=30_000)
    assert page.get_by_test_id("live").inner_text() == "read-only"
    unlock(dash, admin_token(stack))
    page.reload()  # the same tab: not asked again
    page.get_by_test_id("live").filter(has_text="live").wait_for()
    assert page.get_by_role("textbox", name="Token").count() == 0
    other = page.context.new_page()  # another tab asks again
    other.goto(dash.base + "/")
    other.get_by_role("textbox", name="Token").wait_for()
    other.close()


def test_restart_of_the_api_is_seen_going_down_and_back_without_a_reload(dash: Page, stack: Stack) -> None:
    page = unlock(dash, admin_token(stack))
    page.get_by_test_id("state-api").filter(has_text="ready").wait_for()
    page.evaluate("window.__sameDocument = true")
    page.evaluate(RECORD_BADGES)
    page.get_by_role("button", name="restart api").click()
    page.get_by_role("button", name="Yes, restart api").click()
    page.get_by_role("status").filter(has_text="restart api: done").wait_for(timeout=120_000)
    page.get_by_test_id("state-api").filter(has_text="ready").wait_for()
    seen = [b.split(":", 1)[1] for b in page.evaluate("window.__badges") if b.startswith("api:")]
    assert any(s != "ready" for s in seen), seen  # it went down...
    assert seen[-1] == "ready"  # ...and came back
    assert page.evaluate("window.__sameDocument") is True  # no reload
    timeline = page.get_by_role("list", name="Recent transitions").inner_text()
    assert "api" in timeline and "ready" in timeline
    dash.shot("dashboard-services")
    shoot_panels(dash, "Services")


def test_the_page_follows_a_restart_of_the_control_process(browser: Any, control: str, stack: Stack) -> None:
    with new_page(browser, control, allow_console_errors=True) as dash:
        page = unlock(dash, admin_token(stack))
        page.evaluate("window.__sameDocument = true")
        page.evaluate("""() => {
          window.__live = [];
          const el = document.querySelector('[data-testid=live]');
          new MutationObserver(() => window.__live.push(el.textContent)).observe(el, {subtree: true, childList: true,
            characterData: true});
        }""")
        r = sutra(stack.dir, "restart", "control", timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        page.wait_for_function("() => window.__live.some((t) => t !== 'live') && "
                               "document.querySelector('[data-testid=live]').textContent === 'live'", timeout=60_000)
        page.get_by_test_id("state-control").filter(has_text="ready").wait_for()
        assert page.evaluate("window.__sameDocument") is True  # reconnected by itself, no reload
        # only the refused connections while it was down, nothing thrown by the page
        assert all(e.startswith("Failed to load resource") for e in dash.console_errors), dash.console_errors


def test_logs_tail_live_with_filter_and_pause(dash: Page, stack: Stack, control: str) -> None:
    page = unlock(dash, admin_token(stack))
    page.get_by_label("Service", exact=True).select_option("hybrid")
    lines = page.get_by_test_id("log-lines")
    lines.locator(".log-line").first.wait_for()
    r = sutra(stack.dir, "restart", "hybrid", timeout=120)  # its new process logs after the page opened
    assert r.returncode == 0, r.stdout + r.stderr
    pid = pid_of(control, "hybrid")
    lines.filter(has_text=f"[{pid}]").wait_for(timeout=30_000)
    dash.shot("dashboard-logs")
    shoot_panels(dash, "Logs")

    page.get_by_label("Filter", exact=True).fill("server process")
    page.wait_for_function("() => { const l = [...document.querySelectorAll('.log-line')];"
                           " return l.length > 0 && l.every((x) => /server process/i.test(x.textContent)); }")

    page.get_by_role("button", name="Pause").click()
    shown = lines.locator(".log-line").count()
    r = sutra(stack.dir, "restart", "hybrid", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    pid = pid_of(control, "hybrid")
    page.get_by_role("button", name="Resume (1 new)").or_(
        page.get_by_role("button", name="Resume (2 new)")).wait_for(timeout=30_000)
    assert lines.locator(".log-line").count() == shown  # held while paused
    assert f"[{pid}]" not in lines.inner_text()
    page.get_by_role("button", name="Resume").click()
    lines.filter(has_text=f"[{pid}]").wait_for()


def test_storage_counts_rise_traffic_shows_and_snapshot_and_backup_are_taken(dash: Page, stack: Stack) -> None:
    page = unlock(dash, admin_token(stack))
    page.get_by_test_id("concepts").wait_for()
    before = count_of(page, "concepts")
    with stack.api() as api:
        r = api.post("/learn", json={"content": "The dashboard heron nests beside the quiet millpond."})
        assert r.status_code == 200, r.text
    page.wait_for_function("(n) => Number(document.querySelector('[data-testid=concepts]').textContent"
                           ".replace(/,/g, '')) > n", arg=before, timeout=30_000)
    page.wait_for_function("() => /^[0-9.]+$/.test(document.querySelector('[data-testid=rps-api]').textContent)")
    page.get_by_role("button", name="Take snapshot").click()
    page.get_by_role("status").filter(has_text="snapshot taken").wait_for(timeout=60_000)
    page.get_by_test_id("snapshot").filter(has_text="old").wait_for()
    page.get_by_label("Backup name", exact=True).fill("dashboard-1")
    page.get_by_role("button", name="Take backup").click()
    page.get_by_role("status").filter(has_text="backup written to").wait_for(timeout=60_000)
    assert "dashboard-1" in page.get_by_role("status").filter(has_text="backup written to").inner_text()
    dash.shot("dashboard-storage")
    shoot_panels(dash, "Storage", "API traffic")


def test_bulk_learning_a_csv_shows_its_bar_to_100_and_the_concepts_rise(dash: Page, stack: Stack,
                                                                        tmp_path: Any) -> None:
    page = unlock(dash, admin_token(stack))
    page.get_by_test_id("concepts").wait_for()
    before = count_of(page, "concepts")
    f = tmp_path / "birds.csv"
    f.write_text("id,fact\n" + "".join(f"{i},The wader number {i} feeds at dusk on shore {i % 97}.\n"
                                       for i in range(2000)))
    page.get_by_label("Drop a .txt, .jsonl or .csv file here, or choose one").set_input_files(str(f))
    page.get_by_label("Column holding the text").select_option("fact")
    page.get_by_role("button", name="Learn this file").click()
    job = page.locator("li[data-job]").filter(has_text="birds.csv")
    job.get_by_test_id("job-state").filter(has_text="done").wait_for(timeout=180_000)
    assert job.get_by_test_id("job-percent").inner_text() == "100.0%"
    assert job.get_by_role("progressbar").get_attribute("value") == "100"
    assert "2,001 / 2,001 lines, 2,000 learned" in job.inner_text()  # the header is a line read
    page.wait_for_function("(n) => Number(document.querySelector('[data-testid=concepts]').textContent"
                           ".replace(/,/g, '')) > n", arg=before, timeout=30_000)
    dash.shot("dashboard-bulk")
    shoot_panels(dash, "Bulk learning")


def test_bulk_learning_shows_per_line_errors(dash: Page, stack: Stack, tmp_path: Any) -> None:
    page = unlock(dash, admin_token(stack))
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"content": "Kestrels hover over the verge."}\n{not json\n{"content": "Owls hunt at night."}\n')
    page.get_by_label("Drop a .txt, .jsonl or .csv file here, or choose one").set_input_files(str(f))
    page.get_by_role("button", name="Learn this file").click()
    job = page.locator("li[data-job]").filter(has_text="mixed.jsonl")
    job.get_by_test_id("job-state").filter(has_text="done").wait_for(timeout=60_000)
    job.get_by_role("button", name="1 line error(s)").click()
    assert "line 2:" in job.get_by_role("list", name="Line errors of mixed.jsonl").inner_text()


@pytest.mark.parametrize("width", [1024, 390])
def test_no_serious_accessibility_violation_read_only_and_unlocked(browser: Any, control: str, stack: Stack,
                                                                   width: int) -> None:
    from tests.web.test_accessibility import serious_violations

    with new_page(browser, control, width=width, height=800) as dash:
        page = dash.page
        page.goto(dash.base + "/")
        page.get_by_test_id("state-api").wait_for()
        page.get_by_test_id("concepts").wait_for()
        assert serious_violations(page) == []
        dash.shot(f"dashboard-read-only-{width}")
        page.keyboard.press("Tab")  # the token field is reached and submitted with the keyboard alone
        assert page.evaluate("document.activeElement.id") == "token-input"
        page.keyboard.type(admin_token(stack))
        page.keyboard.press("Enter")
        page.get_by_test_id("live").filter(has_text="live").wait_for()
        page.get_by_test_id("log-lines").locator(".log-line").first.wait_for()
        page.get_by_role("button", name="restart hybrid").click()  # the confirmation is checked too
        page.get_by_role("button", name="Yes, restart hybrid").wait_for()
        assert serious_violations(page) == []
        page.get_by_role("button", name="Cancel").click()
        dash.shot(f"dashboard-unlocked-{width}")
        shoot_panels(dash, *PANELS, suffix=str(width))


@pytest.mark.parametrize("width", [1024, 390])
def test_an_open_confirmation_leaves_the_page_without_sideways_scroll(browser: Any, control: str, stack: Stack,
                                                                     width: int) -> None:
    with new_page(browser, control, width=width, height=800) as dash:
        page = unlock(dash, admin_token(stack))
        page.get_by_test_id("state-hybrid").filter(has_text="ready").wait_for()
        page.get_by_role("button", name="restart hybrid").click()
        confirm = page.get_by_role("group", name="Confirm restart of hybrid")
        confirm.get_by_role("button", name="Yes, restart hybrid").wait_for()
        assert no_sideways_scroll(page, ""), f"the page scrolls sideways at {width} px"
        if width >= 1024:  # from 1,024 px up the whole Services table is in sight
            assert no_sideways_scroll(page, "[aria-label^='Services table']")
        # the question is in sight, however far a phone's table is scrolled sideways
        wrap = page.locator("[aria-label^='Services table']").bounding_box()
        box = confirm.bounding_box()
        assert wrap["x"] - 1 <= box["x"] and box["x"] + box["width"] <= wrap["x"] + wrap["width"] + 1, (box, wrap)
        assert page.evaluate("document.activeElement.textContent") == "Cancel"  # the safe answer has the focus
        dash.shot(f"dashboard-confirmation-{width}")
        page.keyboard.press("Enter")
        confirm.wait_for(state="detached")
        assert page.get_by_test_id("state-hybrid").inner_text() == "ready"  # nothing was restarted


def test_a_freshly_opened_page_shows_the_recent_transitions(dash: Page, control: str) -> None:
    rows = httpx.get(control + "/api/status").json()["services"]
    recent = sorted(((t["at"], r["name"], t["state"]) for r in rows for t in r["transitions"]), reverse=True)[:5]
    assert recent, rows
    page = dash.page
    page.goto(dash.base + "/")  # read-only: no stream, and nothing changes while the page is open
    timeline = page.get_by_role("list", name="Recent transitions")
    timeline.wait_for()
    items = [" ".join(li.split()) for li in timeline.locator("li").all_inner_texts()]
    for _, name, state in recent:  # the supervisor's newest transitions, each listed once
        assert sum(1 for li in items if f" {name} " in f" {li} " and f"→ {state}" in li) >= 1, (name, state, items)
    assert len(items) == len(set(items)), items


def test_logs_page_back_to_older_lines(dash: Page, stack: Stack) -> None:
    from sutra_stack.supervisor.logs import stamp

    # more lines than one page (200), appended to the api's log as the supervisor writes them
    log = next(stack.dir.rglob("logs/api.log"))
    with log.open("ab") as f:
        f.write(b"".join(stamp() + f"paging probe line {i:04d}\n".encode() for i in range(450)))
    page = unlock(dash, admin_token(stack))
    page.get_by_label("Service", exact=True).select_option("api")
    lines = page.get_by_test_id("log-lines")
    lines.locator(".log-line").filter(has_text="paging probe line 0449").wait_for()
    assert "paging probe line 0100" not in lines.inner_text()
    at_bottom = "(e) => e.scrollHeight - e.scrollTop - e.clientHeight < 8"
    page.wait_for_function(f"() => ({at_bottom})(document.querySelector('[data-testid=log-lines]'))")  # a tail
    page.get_by_role("button", name="Older lines").click()
    lines.locator(".log-line").filter(has_text="paging probe line 0100").wait_for()
    assert lines.evaluate("(e) => e.scrollTop") == 0  # the older lines shown from the top
    assert lines.evaluate(at_bottom) is False
    text = lines.inner_text()
    assert text.index("paging probe line 0100") < text.index("paging probe line 0449")  # older above
    assert text.count("paging probe line 0300") == 1  # each line once


def test_bulk_job_cancelled_then_resumed_to_100(dash: Page, stack: Stack, tmp_path: Any) -> None:
    page = unlock(dash, admin_token(stack))
    f = tmp_path / "herons.txt"
    f.write_text("".join(f"The grey heron number {i} waits at pond {i % 89}.\n" for i in range(15000)))
    page.get_by_label("Drop a .txt, .jsonl or .csv file here, or choose one").set_input_files(str(f))
    page.get_by_role("button", name="Learn this file").click()
    job = page.locator("li[data-job]").filter(has_text="herons.txt")
    job.get_by_test_id("job-state").filter(has_text="running").wait_for(timeout=60_000)
    page.wait_for_function("() => { const j = [...document.querySelectorAll('li[data-job]')].find((li) =>"
                           " li.textContent.includes('herons.txt'));"
                           " return j && parseFloat(j.querySelector('[data-testid=job-percent]').textContent) > 0; }",
                           timeout=60_000)
    job.get_by_role("button", name="Cancel herons.txt").click()
    job.get_by_test_id("job-state").filter(has_text="cancelled").wait_for(timeout=60_000)
    stopped_at = float(job.get_by_test_id("job-percent").inner_text().rstrip("%"))
    assert 0 < stopped_at < 100, stopped_at
    job.get_by_role("button", name="Resume herons.txt").click()
    job.get_by_test_id("job-state").filter(has_text="done").wait_for(timeout=300_000)
    assert job.get_by_test_id("job-percent").inner_text() == "100.0%"
    text = job.inner_text()
    assert "15,000 / 15,000 lines, 15,000 learned" in text, text
    resumed = int(text.split("resumed at line ", 1)[1].split()[0].rstrip(",·").replace(",", ""))
    assert resumed > 1, text  # it went on from where it stopped, not from the first line


def test_a_file_dropped_on_the_drop_zone_is_learned(dash: Page, stack: Stack) -> None:
    page = unlock(dash, admin_token(stack))
    zone = page.locator(".drop")
    data = page.evaluate_handle("""() => {
      const dt = new DataTransfer();
      const rows = ['id,note,fact', ...Array.from({length: 30}, (_, i) => `${i},x,The avocet ${i} sweeps the mud.`)];
      dt.items.add(new File([rows.join('\\n') + '\\n'], 'dropped.csv', {type: 'text/csv'}));
      return dt;
    }""")
    zone.dispatch_event("dragover", {"dataTransfer": data})
    page.locator(".drop.over").wait_for()  # the zone shows it will take the file
    zone.dispatch_event("drop", {"dataTransfer": data})
    column = page.get_by_label("Column holding the text")
    column.wait_for()
    assert [o.inner_text() for o in column.locator("option").all()] == ["id", "note", "fact"]
    column.select_option("fact")
    page.get_by_role("button", name="Learn this file").click()
    job = page.locator("li[data-job]").filter(has_text="dropped.csv")
    job.get_by_test_id("job-state").filter(has_text="done").wait_for(timeout=60_000)
    assert "31 / 31 lines, 30 learned" in job.inner_text()


def test_route_latency_and_storage_ops_show_after_traffic(dash: Page, stack: Stack) -> None:
    page = unlock(dash, admin_token(stack))
    with stack.api() as api:
        assert api.post("/learn", json={"content": "The little egret fishes in the shallow lagoon."}).status_code == 200
        for _ in range(12):
            r = api.post("/ask", json={"question": "Where does the little egret fish?"})
            assert r.status_code == 200, r.text
    routes = page.get_by_role("table", name="Routes of sutra-api")
    ask = routes.locator("tr[data-route='POST /ask']")
    page.wait_for_function("() => { const r = document.querySelector(\"tr[data-route='POST /ask']\");"
                           " return r && Number(r.querySelector('[data-testid=route-requests]').textContent"
                           ".replace(/,/g, '')) >= 12 && /ms$/.test(r.querySelector('[data-testid=route-p99]')"
                           ".textContent); }", timeout=30_000)
    for cell in ("route-p50", "route-p99"):
        assert float(ask.get_by_test_id(cell).inner_text().removesuffix(" ms")) > 0
    page.wait_for_function("() => /^[0-9.]+$/.test(document.querySelector('[data-testid=ops-per-second]')"
                           ".textContent)", timeout=30_000)
    assert page.get_by_test_id("latency-p50").inner_text().endswith(" ms")
    shoot_panels(dash, "Storage", "API traffic", suffix="traffic")
