"""The several-machines deployment for real: network namespaces joined by veth pairs on a bridge,
with addresses of this test's own, stand in for the machines.

- storage node: the storage server from `sutra generate-systemd --role storage` (its unit's
  ExecStart with its environment files), bound to the node's address;
- two API nodes: sutra-api and sutra-hybrid from `--role api --storage-server ADDR:PORT`;
- the nginx node: Debian's nginx running `sutra generate-nginx --api … --api … --hybrid … --hybrid …`;
- a client node: curl, the only thing that talks to the others; no traffic leaves the namespaces.

Learned through one API node, asked through nginx (both nodes) at once; one API node killed,
nginx keeps answering; the storage node SIGKILLed and restarted, the API nodes recover by
themselves and nginx answers again; a streamed chat completion passes through nginx. Needs root
(CI runs as root): without it the test fails saying so. The namespaces are removed at the end,
pass or fail.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.deploy.configs import generate
from tests.deploy.nginx_support import run_nginx, standalone
from tests.support.procs import PYTHON, running, wait_until
from tests.support.storage_server import LISTEN_RE

NODES = ("storage", "api1", "api2", "nginx", "client")
FACT = "Velmora is the capital of Ostrelia."
QUESTION = "What is the capital of Ostrelia?"
STORAGE_PORT = 50051
API_PORT = 8000
HYBRID_PORT = 8001
NGINX_PORT = 80


def sh(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r


@dataclass
class Lan:
    """Namespaces `ns[node]` on one bridge, node i at `addr[node]`."""

    ns: dict[str, str]
    addr: dict[str, str]

    def curl(self, url: str, body: dict | None = None, timeout: float = 20) -> tuple[int, str]:
        """(status, body) of a request made from the client node (0: no connection)."""
        argv = ["ip", "netns", "exec", self.ns["client"], "curl", "-sS", "-N", "-m", str(timeout),
                "-o", "-", "-w", "\n%{http_code}"]
        if body is not None:
            argv += ["-H", "content-type: application/json", "--data-binary", json.dumps(body)]
        r = sh(*argv, url, check=False, timeout=timeout + 10)
        text, _, code = r.stdout.rpartition("\n")
        return int(code or 0), text


@contextlib.contextmanager
def lan() -> Iterator[Lan]:
    """Make the namespaces, the bridge and a veth pair per node; always remove them all."""
    tag = uuid.uuid4().hex[:6]
    n = int(tag, 16)
    net = f"10.{200 + n % 50}.{(n >> 8) % 250}"
    bridge_ns = f"sutra-{tag}-lan"
    ns = {node: f"sutra-{tag}-{node}" for node in NODES}
    addr = {node: f"{net}.{i + 1}" for i, node in enumerate(NODES)}
    made: list[str] = []
    try:
        for name in (bridge_ns, *ns.values()):
            sh("ip", "netns", "add", name)
            made.append(name)
            sh("ip", "-n", name, "link", "set", "lo", "up")
        sh("ip", "-n", bridge_ns, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", bridge_ns, "link", "set", "br0", "up")
        for i, node in enumerate(NODES):
            peer = f"p{i}"
            sh("ip", "link", "add", "eth0", "netns", ns[node], "type", "veth", "peer", "name", peer,
               "netns", bridge_ns)
            sh("ip", "-n", bridge_ns, "link", "set", peer, "master", "br0")
            sh("ip", "-n", bridge_ns, "link", "set", peer, "up")
            sh("ip", "-n", ns[node], "addr", "add", f"{addr[node]}/24", "dev", "eth0")
            sh("ip", "-n", ns[node], "link", "set", "eth0", "up")
        yield Lan(ns, addr)
    finally:
        for name in made:
            sh("ip", "netns", "del", name, check=False)


@dataclass(frozen=True)
class Program:
    """What a generated unit runs: its ExecStart and the variables of its EnvironmentFile=s."""

    argv: list[str]
    env: dict[str, str]


def unit_program(out: Path, service: str) -> Program:
    text = (out / f"sutra-{service}.service").read_text()
    exec_start = re.search(r"^ExecStart=(.+)$", text, re.M)
    assert exec_start, text
    env: dict[str, str] = {}
    for path in re.findall(r"^EnvironmentFile=-?(.+)$", text, re.M):
        env.update({k: v for k, v in dotenv_values(out / Path(path).name).items() if v is not None})
    return Program(shlex.split(exec_start.group(1)), env)


def role_files(folder: Path, toml: str, *args: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "sutra.toml").write_text(toml)
    out = folder / "units"
    r = generate(folder, "--out", str(out), "--python", PYTHON, *args)
    assert r.returncode == 0, r.stderr
    return out


def start(stack: contextlib.ExitStack, ns: str, prog: Program, log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    cwd.mkdir(parents=True, exist_ok=True)
    return stack.enter_context(running(["ip", "netns", "exec", ns, *prog.argv], env=prog.env, log=log, cwd=cwd,
                                       stop_timeout=30))


def answers(net: Lan, url: str) -> bool:
    return net.curl(url)[0] == 200


def test_storage_node_two_api_nodes_and_nginx_in_front(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("this test makes network namespaces and veth pairs, which needs root (CI runs it as root): "
                    "run it as root, e.g. `sudo .venv/bin/python -m pytest tests/deploy/test_multi_machine.py`")
    with lan() as net, contextlib.ExitStack() as procs:
        storage_addr = f"{net.addr['storage']}:{STORAGE_PORT}"
        s_out = role_files(tmp_path / "storage-node", f'[storage]\nhost = "{net.addr["storage"]}"\n'
                           f'port = {STORAGE_PORT}\npath = "{tmp_path / "storage-data"}"\n', "--role", "storage")
        a_out = role_files(tmp_path / "api-node", f'[api]\nhost = "0.0.0.0"\nport = {API_PORT}\n[hybrid]\n'
                           f'host = "0.0.0.0"\nport = {HYBRID_PORT}\n', "--role", "api",
                           "--storage-server", storage_addr)
        storage_prog = unit_program(s_out, "storage")
        assert storage_prog.env["SUTRA_STORAGE_HOST"] == net.addr["storage"]
        api_prog, hybrid_prog = unit_program(a_out, "api"), unit_program(a_out, "hybrid")
        assert api_prog.env["SUTRA_STORAGE_SERVER"] == storage_addr == hybrid_prog.env["SUTRA_STORAGE_SERVER"]

        storage_log = tmp_path / "storage.log"
        storage = start(procs, net.ns["storage"], storage_prog, storage_log, tmp_path / "storage-node")
        nodes: dict[str, list[subprocess.Popen[bytes]]] = {}
        for node in ("api1", "api2"):  # they start before storage answers and wait for it by themselves
            nodes[node] = [start(procs, net.ns[node], prog, tmp_path / f"{node}-{name}.log", tmp_path / node)
                           for name, prog in (("api", api_prog), ("hybrid", hybrid_prog))]
        wait_until(lambda: LISTEN_RE.search(storage_log.read_text(errors="replace")) is not None, 60,
                   what="storage node listening")
        for url in [f"http://{net.addr[node]}:{port}/ready" for node in ("api1", "api2")
                    for port in (API_PORT, HYBRID_PORT)]:
            wait_until(functools.partial(answers, net, url), 60, 0.2, what=url)

        n_dir = tmp_path / "nginx-node"
        n_dir.mkdir()
        conf = standalone(n_dir, "--api", f"{net.addr['api1']}:{API_PORT}", "--api", f"{net.addr['api2']}:{API_PORT}",
                          "--hybrid", f"{net.addr['api1']}:{HYBRID_PORT}", "--hybrid",
                          f"{net.addr['api2']}:{HYBRID_PORT}", "--dashboard", "none", "--listen", str(NGINX_PORT),
                          ns=net.ns["nginx"])
        front = f"http://{net.addr['nginx']}:{NGINX_PORT}"
        with run_nginx(conf, NGINX_PORT, ns=net.ns["nginx"], host=net.addr["nginx"]):
            # learned through API node 1, asked through nginx (round robin: both nodes) at once
            status, body = net.curl(f"http://{net.addr['api1']}:{API_PORT}/learn", {"content": FACT})
            assert status == 200, body
            for _ in range(4):
                status, body = net.curl(f"{front}/api/ask", {"question": QUESTION})
                assert status == 200 and "velmora" in json.loads(body)["answer"].lower(), body
            status, body = net.curl(f"http://{net.addr['api2']}:{API_PORT}/ask", {"question": QUESTION})
            assert status == 200 and "velmora" in json.loads(body)["answer"].lower(), body

            # API node 1 dies: nginx answers through node 2, every time
            for p in nodes["api1"]:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
            for _ in range(6):
                status, body = net.curl(f"{front}/api/ask", {"question": QUESTION})
                assert status == 200 and "velmora" in json.loads(body)["answer"].lower(), body

            # the storage node fails and comes back: the API node recovers by itself, nginx answers again
            os.killpg(storage.pid, signal.SIGKILL)
            storage.wait(10)
            status, body = net.curl(f"{front}/api/ready")
            assert status == 503, (status, body)  # said plainly while storage is away, not hung
            start(procs, net.ns["storage"], storage_prog, storage_log, tmp_path / "storage-node")
            wait_until(lambda: net.curl(f"{front}/api/ready")[0] == 200, 60, 0.2, what="nginx /api/ready again")
            status, body = net.curl(f"{front}/api/ask", {"question": QUESTION})
            assert status == 200 and "velmora" in json.loads(body)["answer"].lower(), body

            # a streamed chat completion through nginx (hybrid on the surviving node)
            chat = {"model": "sutra", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
            status, body = net.curl(f"{front}/v1/chat/completions", chat)
            assert status == 200, body
            events = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
            assert events[-1] == "[DONE]" and len(events) >= 3, body
            chunks = [json.loads(e) for e in events[:-1]]
            assert all(c["object"] == "chat.completion.chunk" for c in chunks)
            text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
            assert "velmora" in text.lower(), text
