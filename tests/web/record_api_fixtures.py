"""Record the sutra-api answers the client's Vitest tests render: a real storage server and sutra-api,
taught a few facts, asked, searched; the answers and sutra-api's OpenAPI schema (the tests check each
answer against it) go to web/client/src/test/fixtures/. Run it again when sutra-api's answers change:

    .venv/bin/python -m tests.web.record_api_fixtures
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from tests.api.conftest import STORAGE_ENV, start_api
from tests.support.procs import ROOT
from tests.support.storage_server import storage_server

OUT = ROOT / "web" / "client" / "src" / "test" / "fixtures"
FACTS = ["The Amberlight Museum is located in Velmora.", "Velmora is the capital of Ostrelia.",
         "Tarrowby lies in the county of Ashdale."]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        with storage_server(tmp / "data", env=STORAGE_ENV) as srv, start_api(srv.address, tmp) as api, \
                api.client() as c:
            out: dict[str, object] = {"openapi": c.get("/openapi.json").json()}
            out["learn_batch"] = c.post("/learn/batch", json={"items": [{"content": f} for f in FACTS]}).json()
            out["ask_two_hops"] = c.post("/ask", json={"question": "In which country is the Amberlight Museum?"}).json()
            c.post("/learn", json={"content": "Agnes Tull lived in Hollin Cross from 2005 to 2015. "
                                              "That year she moved to Brannock."})
            out["ask_superseded"] = c.post("/ask", json={"question": "Where does Agnes Tull live?",
                                                         "as_of": "2010-06-30"}).json()
            out["ask_nothing"] = c.post("/ask", json={"question": "Who is the mayor of Porto?"}).json()
            out["search"] = c.post("/search", json={"query": "Velmora", "top_k": 5, "mode": "both"}).json()
            velmora = out["ask_two_hops"]["paths"][0]["steps"][2]["concept_id"]  # type: ignore[index]
            out["concept"] = c.get(f"/concepts/{velmora}").json()
            out["neighbors"] = c.get(f"/concepts/{velmora}/neighbors").json()
            out["stats"] = c.get("/stats").json()
            out["error_422"] = c.post("/learn", json={"content": ""}).json()
    for name, body in out.items():
        (OUT / f"{name}.json").write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")
        print(OUT / f"{name}.json")


if __name__ == "__main__":
    main()
