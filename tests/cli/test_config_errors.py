"""`sutra` on a config file with mistakes: every mistake in one run, each with its line, nothing started."""

from __future__ import annotations

from pathlib import Path

from tests.supervisor.helpers import sutra

BAD = """\
[sevices.web]
command = ["true"]

[api]
workers = "2"
prot = 3

[storage]
port = 16000
fast_port = 16000

[services.a]
command = ["true"]
restart = "sometimes"
readiness = { kind = "tcp", port = 1, peroid = 1 }
"""


def test_up_reports_every_mistake_of_the_file_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "sutra.toml"
    cfg.write_text(BAD)
    r = sutra(tmp_path, "up", "-d", timeout=60)
    assert r.returncode != 0
    err = " ".join(r.stderr.split())  # rich may wrap long lines
    assert f"{cfg}: 6 problems:" in err, r.stderr
    assert f"{cfg}:1: unknown section 'sevices' (did you mean 'services'?)" in err
    assert f"{cfg}:5: api.workers must be an integer (int), got '2'" in err
    assert f"{cfg}:6: unknown key api.prot (did you mean 'api.port'?)" in err
    assert f"{cfg}:10: port clash: storage.fast_port and storage.port are both 16000" in err
    assert f"{cfg}:14: services.a.restart must be one of no, on-failure, always" in err
    assert f"{cfg}:15: unknown key services.a.readiness.peroid (did you mean 'period'?)" in err
    assert not (tmp_path / ".sutra" / "run" / "control.sock").exists()


def test_a_port_clash_with_the_builtin_stack_is_named_in_the_users_file(tmp_path: Path) -> None:
    cfg = tmp_path / "sutra.toml"
    cfg.write_text("[storage]\npath = \"data\"\n\n[api]\nport = 50051\n")  # storage.port's default
    r = sutra(tmp_path, "up", "-d", timeout=60)
    assert r.returncode != 0
    err = " ".join(r.stderr.split())
    assert f"{cfg}:5: port clash: api.port and storage.port are both 50051" in err, r.stderr
    assert "built-in" not in err
    assert not (tmp_path / "data").exists()


def test_an_error_message_is_printed_as_written_brackets_and_all(tmp_path: Path) -> None:
    # the CLI prints through rich: a path or a name in square brackets must not be read as markup
    where = tmp_path / "stack[dev]"
    where.mkdir()
    cfg = where / "sutra.toml"
    cfg.write_text("[api]\nworkers = \"2\"\n")
    r = sutra(where, "up", "-d", timeout=60)
    assert r.returncode != 0
    err = "".join(r.stderr.split())  # rich may wrap long lines
    assert "".join(f"{cfg}:2: api.workers must be an integer".split()) in err, r.stderr
