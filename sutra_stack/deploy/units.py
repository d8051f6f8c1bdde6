"""What each generated unit says: the hardening every service gets, a service unit from a
`ServiceSpec`, a `.socket` unit for its `listen` sockets, and `sutra.target`.

Hardening (checked with `systemd-analyze security --offline=true`, goal ≤ 2.0 for every unit):
no new privileges and no capabilities, a read-only system with only the state and log
directories writable, private /tmp, devices, users and mounts, kernel tunables, modules, logs,
clock, hostname and cgroups out of reach, other processes invisible, only IPv4/IPv6/AF_UNIX
sockets, no namespaces, realtime, set-uid or personality changes, the `@system-service` system
call set without `@privileged`/`@resources`, and `MemoryDenyWriteExecute` (numpy, hnswlib,
grpcio, uvicorn and httptools were run under the kernel's same rule by tests/deploy; it is left
out for the `sentence-transformers` embedder, whose torch may generate code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sutra_stack.deploy.syntax import exec_line, unit_value
from sutra_stack.supervisor.spec import ServiceSpec

STATE_DIR = Path("/var/lib/sutra")  # StateDirectory=sutra
LOGS_DIR = Path("/var/log/sutra")  # LogsDirectory=sutra
TARGET = "sutra.target"
HOME_PREFIXES = ("/home", "/root", "/run/user")  # hidden by ProtectHome=yes

HARDENING: tuple[tuple[str, str], ...] = (
    ("NoNewPrivileges", "yes"),
    ("CapabilityBoundingSet", ""),
    ("AmbientCapabilities", ""),
    ("ProtectSystem", "strict"),
    ("PrivateTmp", "yes"),
    ("PrivateDevices", "yes"),
    ("DevicePolicy", "closed"),
    ("PrivateUsers", "yes"),
    ("PrivateMounts", "yes"),
    ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"),
    ("ProtectKernelLogs", "yes"),
    ("ProtectControlGroups", "yes"),
    ("ProtectClock", "yes"),
    ("ProtectHostname", "yes"),
    ("ProtectProc", "invisible"),
    ("ProcSubset", "pid"),
    ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
    ("RestrictNamespaces", "yes"),
    ("RestrictRealtime", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("LockPersonality", "yes"),
    ("KeyringMode", "private"),
    ("RemoveIPC", "yes"),
    ("UMask", "0077"),
    ("SystemCallArchitectures", "native"),
    ("SystemCallFilter", "@system-service"),
    ("SystemCallFilter", "~@privileged @resources"),
    ("SystemCallErrorNumber", "EPERM"),
)


@dataclass(frozen=True)
class UnitPlan:
    """Everything one service unit needs beyond its `ServiceSpec`."""

    spec: ServiceSpec
    unit: str  # e.g. "sutra-api.service"
    argv: tuple[str, ...]  # ExecStart, absolute program first
    notify: bool  # our program: Type=notify (else Type=exec, or oneshot)
    oneshot: bool  # a dependency others wait to complete
    user: str
    group: str
    env_files: tuple[Path, ...]
    working_dir: Path
    wants: tuple[str, ...] = ()  # After= + Wants=
    requires: tuple[str, ...] = ()  # After= + Requires=
    remote_after: bool = False  # its dependency runs on another machine: wait for the network
    reload_line: str = ""  # ExecReload, as systemd reads it ($MAINPID expanded)
    socket: str = ""  # its .socket unit
    protect_home: str = "yes"
    write_paths: tuple[Path, ...] = ()
    deny_write_execute: bool = True
    comments: tuple[str, ...] = field(default_factory=tuple)


def _secs(value: float) -> str:
    return f"{value:g}s"


def _start_limits(spec: ServiceSpec) -> list[tuple[str, str]]:
    """systemd's start rate limit from the supervisor's restart settings: the service fails for good
    after `max_restarts` restarts (plus the first start) that each came before it stayed up
    `stable_after` seconds, each after a `backoff` delay (systemd 252 has no growing delay)."""
    burst = spec.max_restarts + 1
    return [("StartLimitIntervalSec", _secs(round(burst * (spec.stable_after + spec.backoff), 3))),
            ("StartLimitBurst", str(burst))]


def service_unit(p: UnitPlan) -> list[tuple[str, list[tuple[str, str] | str]]]:
    s = p.spec
    unit: list[tuple[str, str] | str] = [("Description", unit_value(f"Sutra stack: {s.name}")), ("PartOf", TARGET)]
    network = ["network-online.target"] if p.remote_after else []
    sockets = [p.socket] if p.socket else []
    after = [*network, *p.requires, *p.wants, *sockets]
    if after:
        unit.append(("After", " ".join(after)))
    if p.requires or sockets:
        unit.append(("Requires", " ".join([*p.requires, *sockets])))
    if p.wants or network:
        unit.append(("Wants", " ".join([*network, *p.wants])))
    unit += _start_limits(s)

    svc: list[tuple[str, str] | str] = []
    if p.oneshot:
        svc += [("Type", "oneshot"), ("RemainAfterExit", "yes")]
    elif p.notify:
        svc += [("Type", "notify"), ("NotifyAccess", "main")]
    else:
        svc += [*p.comments, ("Type", "exec")]
    svc.append(("ExecStart", exec_line(p.argv)))
    if p.reload_line:
        svc.append(("ExecReload", p.reload_line))
    svc.append(("WorkingDirectory", str(p.working_dir)))
    svc += [("EnvironmentFile", str(f)) for f in p.env_files]
    svc += [("User", p.user), ("Group", p.group)]
    restart = s.restart if not (p.oneshot and s.restart == "always") else "on-failure"
    svc += [("Restart", restart), ("RestartSec", _secs(s.backoff)),
            ("TimeoutStartSec", _secs(s.ready_timeout)), ("TimeoutStopSec", _secs(s.stop_timeout)),
            ("KillMode", "mixed"), ("KillSignal", f"SIG{_signal_name(s.stop_signal)}")]
    svc += [("StateDirectory", "sutra"), ("StateDirectoryMode", "0700"),
            ("LogsDirectory", "sutra"), ("LogsDirectoryMode", "0700")]
    if p.write_paths:
        svc.append(("ReadWritePaths", " ".join(str(x) for x in p.write_paths)))
    svc.append(("ProtectHome", p.protect_home))
    svc += list(HARDENING)
    if p.deny_write_execute:
        svc.append(("MemoryDenyWriteExecute", "yes"))
    return [("Unit", unit), ("Service", svc), ("Install", [("WantedBy", TARGET)])]


def _signal_name(signum: int) -> str:
    import signal

    return signal.Signals(signum).name.removeprefix("SIG")


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def socket_unit(service_unit_name: str, name: str,
                listen: Sequence[tuple[str, int]]) -> list[tuple[str, list[tuple[str, str] | str]]]:
    """The listening sockets systemd holds for a service, so a restart keeps the port accepting
    (handed over as LISTEN_FDS, in this order)."""
    sock: list[tuple[str, str] | str] = [("ListenStream", listen_address(h, port)) for h, port in listen]
    sock += [("Backlog", "2048"), ("Service", service_unit_name)]
    return [("Unit", [("Description", unit_value(f"Sutra stack: {name} listening sockets")), ("PartOf", TARGET)]),
            ("Socket", sock), ("Install", [("WantedBy", TARGET)])]


def target_unit(role: str, members: Sequence[str]) -> list[tuple[str, list[tuple[str, str] | str]]]:
    return [("Unit", [("Description", unit_value(f"Sutra stack ({role})")), ("Wants", " ".join(members)),
                      ("After", "network.target")]),
            ("Install", [("WantedBy", "multi-user.target")])]
