"""Log pages by cursor (the control socket's `log_page`) over real rotated log files."""

from __future__ import annotations

from pathlib import Path

from sutra_stack.supervisor.logs import RotatingFile, read_page


def write(f: RotatingFile, start: int, n: int) -> None:
    for i in range(start, start + n):
        f.write(b"2026-01-01T00:00:00.000Z line %05d\n" % i)


def numbers(page: dict) -> list[int]:
    return [int(x["text"].split()[1]) for x in page["lines"]]


def test_page_back_through_every_rotated_file_and_follow_across_rotation(tmp_path: Path) -> None:
    f = RotatingFile(tmp_path / "svc.log", max_bytes=2000, backups=50)
    write(f, 0, 300)  # six files
    assert len(list(tmp_path.glob("svc.log.*"))) == 5
    page = read_page(tmp_path, "svc", limit=7)
    assert numbers(page) == list(range(293, 300))
    seen = numbers(page)
    while True:
        page = read_page(tmp_path, "svc", before=page["first"], limit=40)
        if not page["lines"]:
            break
        seen = numbers(page) + seen
    assert seen == list(range(300))  # every line once, in order
    tail = read_page(tmp_path, "svc", limit=1)
    write(f, 300, 100)  # rotates several times after the cursor was given
    followed: list[int] = []
    cursor = tail["next"]
    while True:
        page = read_page(tmp_path, "svc", after=cursor, limit=30)
        if not page["lines"]:
            break
        followed += numbers(page)
        cursor = page["next"]
    assert followed == list(range(300, 400))
    hits = read_page(tmp_path, "svc", text="LINE 0012", limit=100)
    assert numbers(hits) == list(range(120, 130))
    f.close()
