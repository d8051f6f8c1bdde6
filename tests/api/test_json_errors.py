"""A request body that is not JSON: sutra-api says the line, the column and the field, never a byte offset."""

from __future__ import annotations

from tests.api.conftest import Api


def test_invalid_json_body_names_line_column_and_field(api: Api) -> None:
    with api.client() as c:
        r = c.post("/learn", content=b'{\n  "content": "Rain makes roads wet.",\n  "source": nope\n}',
                   headers={"content-type": "application/json"})
        assert r.status_code == 422
        err = r.json()["error"]
        assert err["code"] == "INVALID_ARGUMENT"
        assert err["fields"] == [{"field": "source", "message": "not valid JSON at line 3, column 13 "
                                                                "(the value of 'source'): Expecting value"}]
        r = c.post("/ask", content=b'{"question": "Why?" "max_paths": 2}', headers={"content-type": "application/json"})
        assert r.status_code == 422
        assert r.json()["error"]["fields"] == [{"field": "body", "message": "not valid JSON at line 1, column 21: "
                                                                            "Expecting ',' delimiter"}]
        assert c.get("/health").status_code == 200  # and it keeps serving
