"""Every config mistake is a clear error naming the file and key, before anything starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sutra_stack.config import load_config
from sutra_stack.errors import ConfigError
from sutra_stack.supervisor.spec import PROBE_KEYS, SERVICE_KEYS, SUPERVISOR_KEYS, load_stack
from tests.support.procs import ROOT

from .helpers import sutra


def stack(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "sutra.toml"
    cfg.write_text(text, encoding="utf-8")
    return load_stack(load_config(cfg, environ={}))


def err(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as e:
        stack(tmp_path, text)
    msg = str(e.value)
    assert str(tmp_path / "sutra.toml") in msg, msg  # names the file
    return msg


def test_unknown_key_did_you_mean(tmp_path: Path) -> None:
    msg = err(tmp_path, '[services.a]\ncommand = ["true"]\ndepend_on = ["b"]\n')
    assert "unknown key services.a.depend_on" in msg and "did you mean 'depends_on'" in msg


def test_unknown_probe_key_and_supervisor_key(tmp_path: Path) -> None:
    msg = err(tmp_path, '[services.a]\ncommand = ["true"]\nreadiness = { kind = "tcp", port = 1, peroid = 1 }\n')
    assert "services.a.readiness.peroid" in msg and "'period'" in msg
    msg = err(tmp_path, '[supervisor]\nlog_backup = 3\n[services.a]\ncommand = ["true"]\n')
    assert "supervisor.log_backup" in msg and "'log_backups'" in msg


@pytest.mark.parametrize("line, key, what", [
    ('stop_timeout = "soon"', "services.a.stop_timeout", "must be a number"),
    ("max_restarts = 2.5", "services.a.max_restarts", "must be an integer"),
    ('restart = "sometimes"', "services.a.restart", "must be one of no, on-failure, always"),
    ("enabled = 1", "services.a.enabled", "must be true or false"),
    ("env = [1]", "services.a.env", "must be a table"),
    ("watch = 3", "services.a.watch", "must be a list of strings"),
    ('listen = ["localhost"]', "services.a.listen", "must be host:port"),
    ('stop_signal = "STOP"', "services.a.stop_signal", "must be one of"),
    ("backoff = -1", "services.a.backoff", "must be ≥ 0"),
    ('readiness = { kind = "smoke", port = 1 }', "services.a.readiness.kind", "must be one of grpc, http, tcp, exec"),
    ('readiness = { kind = "grpc" }', "services.a.readiness.port", "is missing"),
    ('readiness = { kind = "exec" }', "services.a.readiness.command", "is missing"),
    ('readiness = { kind = "http", port = 1, path = "health" }', "services.a.readiness.path", "must start with '/'"),
    ('env_file = "nope.env"', "services.a.env_file", "does not exist"),
    ('depends_on = { b = { condition = "up" } }', "services.a.depends_on.b.condition", "must be one of started"),
])
def test_wrong_types_and_values(tmp_path: Path, line: str, key: str, what: str) -> None:
    msg = err(tmp_path, f'[services.a]\ncommand = ["true"]\n{line}\n[services.b]\ncommand = ["true"]\n')
    assert key in msg and what in msg, msg


def test_bad_service_names(tmp_path: Path) -> None:
    assert "reserved" in err(tmp_path, '[services.sutra]\ncommand = ["true"]\n')
    assert "must be lowercase letters" in err(tmp_path, '[services.Web]\ncommand = ["true"]\n')


def test_missing_command(tmp_path: Path) -> None:
    msg = err(tmp_path, "[services.a]\nrestart = \"always\"\n")
    assert "services.a.command is missing" in msg


def test_unknown_dependency(tmp_path: Path) -> None:
    msg = err(tmp_path, '[services.api]\ncommand = ["true"]\ndepends_on = ["storag"]\n'
                        '[services.storage]\ncommand = ["true"]\n')
    assert "services.api.depends_on names unknown service 'storag'" in msg and "did you mean 'storage'" in msg


def test_cycle_is_printed(tmp_path: Path) -> None:
    msg = err(tmp_path, '[services.a]\ncommand = ["true"]\ndepends_on = ["b"]\n'
                        '[services.b]\ncommand = ["true"]\ndepends_on = ["c"]\n'
                        '[services.c]\ncommand = ["true"]\ndepends_on = ["a"]\n')
    assert re.search(r"dependency cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)", msg), msg


def test_port_clash(tmp_path: Path) -> None:
    msg = err(tmp_path, '[services.a]\ncommand = ["true"]\nlisten = ["127.0.0.1:18000"]\n'
                        '[services.b]\ncommand = ["true"]\nlisten = ["127.0.0.1:18000"]\n')
    assert "port clash" in msg and "services.b.listen" in msg and "services.a.listen" in msg


def test_probe_on_another_services_port(tmp_path: Path) -> None:
    msg = err(tmp_path, '[services.a]\ncommand = ["true"]\nlisten = ["127.0.0.1:18001"]\n'
                        '[services.b]\ncommand = ["true"]\nreadiness = { kind = "http", port = 18001 }\n')
    assert "port clash: services.b.readiness probes port 18001, which services.a.listen uses" in msg


def test_unknown_setting_reference(tmp_path: Path) -> None:
    msg = err(tmp_path, '[services.a]\ncommand = ["true"]\nreadiness = { kind = "tcp", port = "${storage.prot}" }\n')
    assert "${storage.prot}" in msg and "storage.port" in msg


def test_good_config_order_and_values(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("X=1\n")
    s = stack(tmp_path, '[storage]\nport = 50123\n'
                        '[services.api]\ncommand = "echo hi"\ndepends_on = { db = { condition = "healthy" } }\n'
                        'listen = ["127.0.0.1:0"]\nenv_file = "a.env"\n'
                        '[services.db]\ncommand = ["python", "-V"]\n'
                        'readiness = { kind = "grpc", port = "${storage.port}" }\nreload = "none"\n')
    assert list(s.services) == ["db", "api"]  # dependencies first
    assert s.services["db"].readiness.port == 50123
    assert s.services["api"].command == ("/bin/sh", "-c", "echo hi")
    assert s.services["api"].depends_on[0].condition == "healthy"
    assert s.order(["api"]) == ["db", "api"] and s.dependents("db") == ["api"]


def test_builtin_stack_names_only_real_services() -> None:
    s = load_stack(load_config(cwd=ROOT / "tests", environ={}))
    assert "storage" in s.services
    st = s.services["storage"]
    assert st.readiness is not None and st.readiness.kind == "grpc" and st.readiness.port == 50051
    assert st.reload == "none" and st.stop_timeout >= 30
    api = s.services["api"]
    assert api.depends_on[0].name == "storage" and api.depends_on[0].condition == "healthy"
    assert api.listen == (("127.0.0.1", 8000),) and api.readiness is not None and api.readiness.path == "/ready"
    for spec in s.services.values():  # each command names a module that exists in the package
        if "-m" in spec.command:
            mod = spec.command[spec.command.index("-m") + 1]
            assert (ROOT / (mod.replace(".", "/") + ".py")).exists() or (ROOT / mod.replace(".", "/")).is_dir(), mod


def test_example_documents_every_key(tmp_path: Path) -> None:
    text = (ROOT / "sutra.toml.example").read_text()
    section = text[text.index("# ---- services"):]
    for key in [*SERVICE_KEYS, *SUPERVISOR_KEYS]:
        assert re.search(rf"^# {key} = ", section, re.M), f"sutra.toml.example does not document {key}"
    for key in PROBE_KEYS:
        assert re.search(rf"\b{key} = ", section), f"sutra.toml.example does not document probe key {key}"
    # uncommented (first of each probe line), the services section is a valid stack config
    lines, seen = [], set()
    for line in section.splitlines():
        m = re.match(r"^# ((\[[a-z.]+\])(?:\s+#.*)?|([a-z_]+) = .*)$", line)
        if m and (m.group(3) not in seen or m.group(2)):
            seen.add(m.group(3))
            lines.append(m.group(1))
    s = stack(tmp_path, "\n".join(lines).replace('depends_on = { storage', 'depends_on = { web2'
                                                  ) + '\n[services.web2]\ncommand = ["true"]\n')
    assert s.services["web"].listen == (("127.0.0.1", 8080),)
    assert s.services["web"].liveness is not None and s.services["web"].liveness.failure_threshold == 3


def test_up_with_bad_config_starts_nothing(tmp_path: Path) -> None:
    (tmp_path / "sutra.toml").write_text('[services.a]\ncommand = ["true"]\ndepends_on = ["a2"]\n')
    r = sutra(tmp_path, "up", timeout=60)
    assert r.returncode != 0
    assert "services.a.depends_on names unknown service 'a2'" in r.stderr
    assert not (tmp_path / ".sutra" / "run" / "control.sock").exists()


def test_init_writes_the_builtin_config(tmp_path: Path) -> None:
    r = sutra(tmp_path, "init")
    assert r.returncode == 0, r.stderr
    s = load_stack(load_config(tmp_path / "sutra.toml", environ={}))
    assert "storage" in s.services
    r = sutra(tmp_path, "init")
    assert r.returncode != 0 and "already exists" in r.stderr
