"""/docs and /redoc of a real sutra-api work with no network: every asset they load is served by the app."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests.api.conftest import Api

# Every URL a docs page loads: tags' src/href, and the URLs its script hands Swagger UI or ReDoc.
_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|spec-url)\s*[:=]\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets(api: Api, page: str) -> None:
    with api.client() as c:
        r = c.get(page)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert "://" not in r.text and "cdn" not in r.text.lower()
        urls = {a or b for a, b in _URL.findall(r.text)}
        assert any(u.endswith(".js") for u in urls), urls  # the page's script is among them
        assert "/openapi.json" in urls
        for url in urls:
            assert not re.match(r"^(https?:)?//", url), f"{page} loads {url} from the network"
            got = c.get(urljoin(page, url))
            assert got.status_code == 200, f"{page}: {url} answers {got.status_code}"
            assert got.content
