"""`sutra generate-systemd` run as a real command: golden files for representative configs, what
systemd itself says of the units (`systemd-analyze verify` and `security`), secrets kept out of
units, installing into a staged root, and bad input answered clearly with nothing written."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from sutra_stack.config import BY_ENV, SETTINGS, to_env_text
from tests.deploy.configs import APP_ROOT, CASES, GOLDEN_DIR, GOLDEN_PYTHON, UPDATE, Case, generate
from tests.support.procs import PYTHON

EXPOSURE_GOAL = 2.0  # systemd-analyze security's exposure score, 0 (safe) to 10 (unsafe)
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None and os.environ.get("CI") != "true",
    reason="systemd-analyze is not installed (CI installs it: .ci/run)",
)
CASE_IDS = [c.name for c in CASES]


def _generated(case: Case, tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    folder = case.setup(tmp_path / "app")
    out = tmp_path / "out"
    r = generate(folder, "--out", str(out), *case.args, *extra)
    assert r.returncode == 0, r.stderr
    return folder, out


SETTINGS_FILES = ("sutra.env", ".env.production")  # one line per setting: the golden keeps the non-defaults
_ENV_LINE = re.compile(r'^(SUTRA_[A-Z0-9_]+)="(.*)"$')


def _non_defaults(text: str) -> str:
    """The lines of a settings file whose value is not the setting's default (other settings come and go
    with the config table; every one of them must be in the file)."""
    found, kept = set(), []
    for line in text.splitlines():
        m = _ENV_LINE.match(line)
        if m is None:
            continue
        setting = BY_ENV[m.group(1)]
        found.add(setting.env)
        if m.group(2) != to_env_text(setting, setting.default):
            kept.append(line)
    assert found == {s.env for s in SETTINGS}
    return "\n".join(kept) + "\n"


def _golden_text(name: str, text: str) -> str:
    if name in SETTINGS_FILES:
        return _non_defaults(text)
    if name == ".env":  # the development template: every setting, commented out at its default
        for s in SETTINGS:
            assert f'# {s.env}="{"" if s.secret else to_env_text(s, s.default)}"' in text.splitlines()
        return "(every setting at its default, commented out)\n"
    return text


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_golden_files(case: Case, tmp_path: Path) -> None:
    folder, out = _generated(case, tmp_path, "--python", GOLDEN_PYTHON)
    got = {p.name: _golden_text(p.name, p.read_text().replace(str(folder.resolve()), APP_ROOT))
           for p in sorted(out.iterdir())}
    golden = GOLDEN_DIR / case.name
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir(parents=True)
        for name, text in got.items():
            (golden / name).write_text(text)
    want = {p.name: p.read_text() for p in sorted(golden.iterdir())}
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], f"{case.name}/{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites)"


def _units(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.suffix in (".service", ".socket", ".target"))


@needs_systemd_analyze
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_systemd_accepts_every_unit(case: Case, tmp_path: Path) -> None:
    _, out = _generated(case, tmp_path)  # this machine's interpreter: verify checks that ExecStart exists
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, _units(out))], cwd=out,
                       capture_output=True, text=True, timeout=120)
    # verify exits 0 on unknown keys and doubtful values: it only prints them
    assert (r.returncode, r.stdout + r.stderr) == (0, "")


@needs_systemd_analyze
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_service_scores_within_the_exposure_goal(case: Case, tmp_path: Path) -> None:
    _, out = _generated(case, tmp_path)
    services = [p for p in _units(out) if p.suffix == ".service"]
    assert services
    for unit in services:
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout)
        assert m, r.stdout + r.stderr
        assert float(m.group(1)) <= EXPOSURE_GOAL, f"{unit.name}: {m.group(0)}\n{r.stdout}"


def test_secrets_live_only_in_the_0600_environment_file(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "user-services")
    folder, out = _generated(case, tmp_path)
    env = (out / "sutra.env").read_text()
    assert 'SUTRA_STORAGE_TOKEN="t0ken-s3cret"' in env
    assert 'WORKER_SECRET="w0rker-secret"' in (out / "sutra-worker.env").read_text()
    for name in ("sutra.env", "sutra-worker.env", ".env.production"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    for unit in _units(out):
        text = unit.read_text()
        assert "t0ken-s3cret" not in text and "w0rker-secret" not in text
    assert "t0ken-s3cret" not in (out / ".env.production").read_text()  # a template: the operator fills it
    dry = generate(folder, "--dry-run", *case.args)
    assert dry.returncode == 0, dry.stderr
    assert "t0ken-s3cret" not in dry.stdout and "w0rker-secret" not in dry.stdout
    assert 'SUTRA_STORAGE_TOKEN="***"' in dry.stdout and "[Service]" in dry.stdout


def test_out_says_what_to_copy_where(tmp_path: Path) -> None:
    folder = CASES[0].setup(tmp_path / "app")
    out = tmp_path / "out"
    r = generate(folder, "--out", str(out))
    assert r.returncode == 0, r.stderr
    lines = [line.strip() for line in r.stdout.splitlines()]
    assert f"install -D -m 0600 {out}/sutra.env /etc/sutra/sutra.env" in lines
    assert f"install -D -m 0644 {out}/sutra-api.socket /etc/systemd/system/sutra-api.socket" in lines
    assert lines[-1] == "systemctl enable --now sutra.target"
    assert not any(".env.production" in line for line in lines[1:])  # templates are not installed


def test_install_into_a_staged_root(tmp_path: Path) -> None:
    folder = CASES[0].setup(tmp_path / "app")
    root = tmp_path / "root"
    r = generate(folder, "--install", "--root", str(root))
    assert r.returncode == 0, r.stderr
    units = root / "etc/systemd/system"
    assert sorted(p.name for p in units.iterdir()) == [
        "sutra-api.service", "sutra-api.socket", "sutra-client.service", "sutra-control.service",
        "sutra-control.socket", "sutra-hybrid.service", "sutra-hybrid.socket", "sutra-storage.service", "sutra.target"]
    env = root / "etc/sutra/sutra.env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600 and stat.S_IMODE(env.parent.stat().st_mode) == 0o700
    assert (root / "etc/sysusers.d/sutra.conf").read_text().splitlines()[-1] == 'u sutra - "Sutra stack" /var/lib/sutra'
    assert "systemctl enable --now sutra.target" in r.stdout
    assert f"ExecStart={PYTHON} -m sutra_stack.storage.server" in (units / "sutra-storage.service").read_text()


def _refused(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


@pytest.mark.parametrize(("args", "words"), [
    (("--role", "db"), ("--role must be one of storage, api, all", "'db'")),
    (("--role", "api"), ("--role api needs --storage-server HOST:PORT",)),
    (("--role", "api", "--storage-server", "storage-node"), ("--storage-server must be HOST:PORT",)),
    (("--storage-server", "10.0.0.5:50051"), ("--storage-server is for --role api",)),
    (("--user", "bad user"), ("--user 'bad user'",)),
    (("--user", "nobody"), ("--user nobody",)),
    (("--exclude", "nope"), ("--exclude nope", "no service 'nope'")),
    (("--env-file", "sutra.env"), ("--env-file must be an absolute path",)),
])
def test_bad_options_are_refused_and_nothing_is_written(tmp_path: Path, args: tuple[str, ...],
                                                        words: tuple[str, ...]) -> None:
    folder = CASES[0].setup(tmp_path / "app")
    out = tmp_path / "out"
    _refused(generate(folder, "--out", str(out), *args), *words)
    assert not out.exists()


@pytest.mark.parametrize(("toml", "words"), [
    ('[services."Web App"]\ncommand = ["/bin/true"]\n', ("service name 'Web App'",)),
    ('[services.web]\ncommand = ["no-such-program-here"]\n', ("services.web.command", "not on PATH")),
    ('[services.api]\ncommand = ["/bin/true"]\ndepends_on = ["dev"]\n[services.dev]\ncommand = ["/bin/true"]\n',
     ("services.api depends on 'dev', which is not exported (--exclude)",)),
])
def test_services_systemd_cannot_run_are_refused(tmp_path: Path, toml: str, words: tuple[str, ...]) -> None:
    folder = Case("bad", toml).setup(tmp_path / "app")
    out = tmp_path / "out"
    _refused(generate(folder, "--out", str(out), "--exclude", "dev") if "dev" in toml
             else generate(folder, "--out", str(out)), *words)
    assert not out.exists()


def test_an_unwritable_out_is_answered_clearly(tmp_path: Path) -> None:
    folder = CASES[0].setup(tmp_path / "app")
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    _refused(generate(folder, "--out", str(a_file)), f"--out {a_file} is not a directory")
    assert a_file.read_text() == "not a folder"
    _refused(generate(folder, "--out", str(a_file / "sub")), f"cannot write the folder {a_file / 'sub'}")
    _refused(generate(folder), "give --out DIR")


def test_an_interpreter_in_a_home_folder_stays_reachable(tmp_path: Path) -> None:
    folder = CASES[0].setup(tmp_path / "app")
    out = tmp_path / "out"
    r = generate(folder, "--out", str(out), "--python", "/home/alice/venv/bin/python")
    assert r.returncode == 0, r.stderr
    assert "is in a home folder" in r.stderr
    for unit in ("sutra-storage.service", "sutra-api.service"):
        assert "\nProtectHome=read-only\n" in (out / unit).read_text()  # =yes would hide the interpreter
