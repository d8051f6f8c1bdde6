"""A fresh, empty knowledge base behind a sutra-api with `api.token` set, reached through the
client's static server: the first-run hint with an example to learn, the token asked once (a wrong
one asked again), kept for the tab and sent as a bearer header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import STORAGE_ENV, start_api
from tests.support.storage_server import storage_server
from tests.web.conftest import client_process, new_page

TOKEN = "s3cret-web-token"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("web-token")
    with storage_server(tmp / "data", env=STORAGE_ENV) as srv, start_api(srv.address, tmp, token=TOKEN) as api, \
            client_process(api.port, tmp) as url:
        yield url


def test_first_run_hint_then_the_token_prompt_once_per_tab(browser: Any, guarded: str) -> None:
    with new_page(browser, guarded) as page:
        sent: list[str | None] = []
        page.page.on("request", lambda r: sent.append(r.headers.get("authorization"))
                     if r.url.endswith("/api/learn/batch") else None)
        p = page.open("ask")
        hint = p.get_by_role("region", name="The knowledge base is empty")
        hint.wait_for()
        page.shot("first-run")
        hint.get_by_role("button", name="Learn the example").click()
        dialog = p.get_by_role("dialog", name="This server needs a token")
        dialog.wait_for()
        assert p.evaluate("document.activeElement.id") == "token-input"
        page.shot("token-prompt")
        dialog.get_by_label("API token").fill("wrong")
        dialog.get_by_role("button", name="Use token").click()
        p.wait_for_function("() => document.activeElement && document.activeElement.id === 'token-input' "
                            "&& document.activeElement.value === ''")  # asked again, the wrong token gone
        assert sent == [None, "Bearer wrong"]
        dialog.get_by_label("API token").fill(TOKEN)
        dialog.get_by_role("button", name="Use token").click()
        hint.wait_for(state="detached")
        assert p.get_by_label("Question").input_value() == "In which country is the Amberlight Museum?"
        assert sent == [None, "Bearer wrong", f"Bearer {TOKEN}"]
        # kept for the tab: the next write asks nothing
        p = page.open("learn")
        p.get_by_label("Facts to learn").fill("Tarrowby lies in the county of Ashdale.")
        p.get_by_role("button", name="Learn", exact=True).click()
        p.get_by_test_id("created").wait_for()
        assert p.get_by_role("dialog").count() == 0
        assert p.evaluate("sessionStorage.getItem('sutra.api.token')") == TOKEN
