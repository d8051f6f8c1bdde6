"""How a real supervisor sets its children up, with no Python code run between fork and exec: the
parent-death signal, listening sockets handed at fds 3.. with LISTEN_PID, its own session, no other fd."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.support.procs import free_port

from .helpers import child, supervisor, write_config


def test_children_get_the_parent_death_signal_their_sockets_and_nothing_else(tmp_path: Path) -> None:
    p1, p2 = free_port(), free_port()
    write_config(tmp_path, f"""
[services.plain]
command = {child("setup_report.py")}
[services.sockets]
command = {child("setup_report.py")}
listen = ["127.0.0.1:{p1}", "127.0.0.1:{p2}"]
""")
    with supervisor(tmp_path) as sup:
        sup.wait_log("plain", "pdeathsig=")
        sup.wait_log("sockets", "pdeathsig=")
        plain, sockets = sup.log("plain"), sup.log("sockets")
        kill = f"pdeathsig={int(signal.SIGKILL)} "
        assert kill in plain and kill in sockets
        assert "listen_fds=0 ports= fds=0,1,2,3 " in plain  # 3: the directory listing itself
        assert f"listen_pid_is_me=True listen_fds=2 ports={p1}:1,{p2}:1 fds=0,1,2,3,4,5 " in sockets
        assert "sid_is_me=True pgid_is_me=True" in plain and "sid_is_me=True pgid_is_me=True" in sockets
