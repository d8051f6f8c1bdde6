"""The config loader: precedence, interpolation, and a clear error for every mistake."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sutra_stack.config import BY_ENV, SETTINGS, load_config, settings_from_env
from sutra_stack.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "sutra.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_defaults_without_any_file(tmp_path: Path) -> None:
    cfg = load_config(cwd=tmp_path, environ={})
    assert cfg.path is None
    assert cfg.settings["storage.port"] == 50051
    assert cfg.settings["storage.path"] == "./knowledge"
    assert cfg.settings["storage.host"] == "127.0.0.1"
    assert cfg.settings["api.host"] == "127.0.0.1"


def test_precedence_toml_then_dotenv_then_environment(tmp_path: Path) -> None:
    write(tmp_path, "[storage]\nport = 6000\nfast_port = 6001\n[api]\nport = 7000\n")
    write(tmp_path, "SUTRA_STORAGE_FAST_PORT=6101\nSUTRA_API_PORT=7100\n", ".env")
    cfg = load_config(cwd=tmp_path, environ={"SUTRA_API_PORT": "7200"})
    assert cfg.settings["storage.port"] == 6000
    assert cfg.settings["storage.fast_port"] == 6101
    assert cfg.settings["api.port"] == 7200
    env = cfg.child_env()
    assert env["SUTRA_API_PORT"] == "7200" and env["SUTRA_STORAGE_PORT"] == "6000"


def test_interpolation_with_defaults(tmp_path: Path) -> None:
    write(tmp_path, '[storage]\npath = "${DATA:-/srv/x}/kb"\ntoken = "${TOK}"\n')
    write(tmp_path, "TOK=s3cret\n", ".env")
    cfg = load_config(cwd=tmp_path, environ={})
    assert cfg.settings["storage.path"] == "/srv/x/kb"
    assert cfg.settings["storage.token"] == "s3cret"
    assert cfg.settings.redacted()["storage.token"] == "***"
    cfg = load_config(cwd=tmp_path, environ={"DATA": "/d"})
    assert cfg.settings["storage.path"] == "/d/kb"


def test_unset_variable_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, '[storage]\npath = "${NOPE}"\n')
    with pytest.raises(ConfigError, match=r"\$\{NOPE\} is not set"):
        load_config(cwd=tmp_path, environ={})


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("[storage]\nprot = 1\n", r"unknown key storage.prot \(did you mean 'storage.port'\?\)"),
        ("[storag]\nport = 1\n", r"unknown section \[storag\] \(did you mean 'storage'\?\)"),
        ('[storage]\nport = "many"\n', r"storage.port must be int"),
        ("[storage]\nport = 70000\n", r"storage.port must be ≤ 65535"),
        ('[storage]\nfsync = "alwys"\n', r"fsync must be one of always, everysec, off.*did you mean 'always'"),
        ("[storage\n", r"not valid TOML"),
        ("storage = 3\n", r"storage must be a table"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, text: str, pattern: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError, match=pattern) as err:
        load_config(cwd=tmp_path, environ={})
    assert str(p) in str(err.value)


def test_bad_environment_variable_is_named() -> None:
    with pytest.raises(ConfigError, match="SUTRA_STORAGE_PORT"):
        settings_from_env({"SUTRA_STORAGE_PORT": "x"})
    with pytest.raises(ConfigError, match="SUTRA_STORAGE_READ_ONLY"):
        settings_from_env({"SUTRA_STORAGE_READ_ONLY": "maybe"})
    assert settings_from_env({"SUTRA_STORAGE_READ_ONLY": "yes"})["storage.read_only"] is True


def test_missing_explicit_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", environ={})
    with pytest.raises(ConfigError, match="env file"):
        load_config(cwd=tmp_path, env_file=tmp_path / "nope.env", environ={})


def test_example_documents_every_key() -> None:
    text = (ROOT / "sutra.toml.example").read_text()
    for s in SETTINGS:
        assert s.env in text, f"sutra.toml.example does not document {s.key} ({s.env})"
    # uncommenting the settings tables gives a valid config of defaults
    body = "\n".join(line[2:] if line.startswith("# ") and "=" in line and "(" not in line else line
                     for line in text.splitlines())
    doc = tomllib.loads(body)
    for s in SETTINGS:
        sec, name = s.key.split(".", 1)
        if sec in doc and name in doc[sec]:
            assert doc[sec][name] == s.default, s.key


def test_every_variable_is_unique() -> None:
    assert len(BY_ENV) == len(SETTINGS)


def test_storage_server_follows_the_storage_port_unless_set(tmp_path: Path) -> None:
    write(tmp_path, "[storage]\nport = 6000\n")
    assert load_config(cwd=tmp_path, environ={}).settings["storage.server"] == "127.0.0.1:6000"
    assert settings_from_env({"SUTRA_STORAGE_PORT": "7000"})["storage.server"] == "127.0.0.1:7000"
    explicit = {"SUTRA_STORAGE_PORT": "7000", "SUTRA_STORAGE_SERVER": "db.internal:50051"}
    assert settings_from_env(explicit)["storage.server"] == "db.internal:50051"
    assert settings_from_env({})["storage.server"] == "127.0.0.1:50051"
