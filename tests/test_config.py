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
        ("[storag]\nport = 1\n", r"sutra.toml:1: unknown section 'storag' \(did you mean 'storage'\?\)"),
        ('[storage]\nport = "many"\n', r"sutra.toml:2: storage.port must be an integer \(int\), got 'many'$"),
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


def test_every_mistake_of_a_file_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    p = write(tmp_path, '[storage]\nport = "x"\nfsync = "alwys"\n\n[api]\nworkers = "2"\nhost = 3\n[logg]\n')
    with pytest.raises(ConfigError) as err:
        load_config(cwd=tmp_path, environ={"SUTRA_STORAGE_READ_ONLY": "maybe"})
    lines = str(err.value).splitlines()
    assert lines[0] == f"{p}: 6 problems:"
    assert lines[1].startswith(f"  {p}:2: storage.port must be an integer (int)")
    assert lines[2].startswith(f"  {p}:3: storage.fsync must be one of always")
    assert lines[3] == f"  {p}:6: api.workers must be an integer (int), got '2' (a string: write it without quotes)"
    assert lines[4].startswith(f"  {p}:7: api.host must be a string (str), got 3")
    assert lines[5] == f"  {p}:8: unknown section 'logg' (did you mean 'log'?)"
    assert lines[6].startswith("  environment: SUTRA_STORAGE_READ_ONLY: storage.read_only must be true or false")


def test_strings_from_interpolation_are_still_converted(tmp_path: Path) -> None:
    write(tmp_path, '[api]\nworkers = "${WORKERS:-3}"\n')
    assert load_config(cwd=tmp_path, environ={}).settings["api.workers"] == 3
    assert load_config(cwd=tmp_path, environ={"WORKERS": "5"}).settings["api.workers"] == 5


@pytest.mark.parametrize(("text", "environ", "pattern"), [
    ("[storage]\nport = 6000\nfast_port = 6000\n", {},
     r"sutra.toml:3: port clash: storage.fast_port and storage.port are both 6000 \(storage.port is set at .*:2\)"),
    ("[api]\nport = 50052\n", {}, r"sutra.toml:2: port clash: api.port and storage.fast_port are both 50052"),
    ("", {"SUTRA_STORAGE_METRICS_PORT": "8000"},
     r"environment: SUTRA_STORAGE_METRICS_PORT: port clash: storage.metrics_port and api.port are both 8000"),
])
def test_port_clashes_are_named_where_they_were_set(tmp_path: Path, text: str, environ: dict[str, str],
                                                    pattern: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError, match=pattern):
        load_config(cwd=tmp_path, environ=environ)


def test_ports_may_repeat_on_other_addresses_or_be_zero(tmp_path: Path) -> None:
    write(tmp_path, '[storage]\nport = 0\nfast_port = 0\n[api]\nhost = "127.0.0.2"\nport = 50051\n')
    with pytest.raises(ConfigError, match="port clash"):  # storage.port is 50051 again below
        load_config(cwd=tmp_path, environ={"SUTRA_STORAGE_PORT": "50051", "SUTRA_API_HOST": "0.0.0.0"})
    assert load_config(cwd=tmp_path, environ={}).settings["api.port"] == 50051
