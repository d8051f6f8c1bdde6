"""`sutra learn / ask / stats`: use the knowledge base from a shell, straight to the storage server.

These talk to the storage server (`--server HOST:PORT`, default: setting `storage.server`)
through the same Reasoner the API uses, and take `--json` for scripts. `--storage` is the old
name of `--server` (still accepted, with a note): elsewhere it named a data directory.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.tree import Tree

from sutra_stack.apps.common.jsonerror import json_error
from sutra_stack.cli import app
from sutra_stack.errors import STORAGE_UNREACHABLE_HINT, InvalidArgument, Reason, SutraError
from sutra_stack.limits import MAX_ASK_DEPTH, MAX_ASK_PATHS, MAX_LEARN_TEXT_BYTES, MAX_METADATA_BYTES
from sutra_stack.reasoning.timeline import parse_as_of

LEARN_CHUNK = 256  # texts per learn_batch call when learning a file
PROGRESS_NAME_CHARS = 16  # of a file's name in the progress line, which fits in 80 columns
ServerOpt = typer.Option(None, "--server", metavar="HOST:PORT",
                         help="Storage server address (default: setting storage.server).")
OldStorageOpt = typer.Option(None, "--storage", metavar="HOST:PORT", hidden=True, help="Old name of --server.")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of text.")

out = Console(soft_wrap=True)
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 text', '2 texts' (`many` when the plural is not word + 's')."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def server_flag(server: str | None, old: str | None) -> tuple[str | None, str]:
    """The address given on the command line and the flag that gave it (the old `--storage`, with a note)."""
    if old is not None:
        err.print("note: --storage HOST:PORT is deprecated here: use --server HOST:PORT "
                  "(`sutra storage` commands take the data directory as --data-dir)", highlight=False, soft_wrap=True)
        if server is None:
            return old, "--storage"
    return server, "--server"


class Target:
    """The storage server a command talks to, and where its address came from (for messages)."""

    def __init__(self, server: str | None, flag: str) -> None:
        from sutra_stack.config import load_config

        try:
            loaded = load_config()
        except SutraError as e:
            fail(e.message, 2)
        self.settings = loaded.settings
        self.flag = flag
        if server:
            self.address, self.source = server, f"from {flag}"
        else:
            self.address = self.settings["storage.server"]
            self.source = self._setting_source(loaded.origin)

    @staticmethod
    def _setting_source(origin: dict[str, str]) -> str:
        """Where storage.server came from: the variable (and .env file), the config file's line, or the default."""
        if "storage.server" not in origin:
            if origin.keys() & {"storage.port", "storage.host"}:
                return "storage.server, which follows storage.host and storage.port"
            return "storage.server's default"
        at = origin["storage.server"]
        if at.startswith("environment: "):
            return "from " + at.removeprefix("environment: ")
        if at.endswith(": SUTRA_STORAGE_SERVER"):  # a .env file
            return f"from SUTRA_STORAGE_SERVER in {at.removesuffix(': SUTRA_STORAGE_SERVER')}"
        return f"from storage.server at {at}"

    def unreachable(self, e: Exception) -> NoReturn:
        """Say the server cannot be reached, once: where, which setting or flag named it, why, what to do."""
        detail = getattr(e, "message", None) or str(e)
        detail = re.sub(r"^cannot reach the storage server at \S+: ", "", detail)
        detail = detail.split(f"; {STORAGE_UNREACHABLE_HINT}")[0]  # the client's own hint: said better below
        fail(f"cannot reach the storage server at {self.address} ({self.source}): {detail}. "
             "Start the stack with `sutra up`, or give --server HOST:PORT of a running storage server.")

    def connect(self) -> tuple[Any, Any]:
        """The Reasoner and the store of this server."""
        from sutra_stack.apps.common.storage import connect_storage
        from sutra_stack.reasoning import Reasoner

        try:
            store = connect_storage(self.settings, self.address)
        except (SutraError, ConnectionError, OSError) as e:
            self.unreachable(e)
        return Reasoner(store), store

    def explain(self, e: Exception) -> NoReturn:
        if isinstance(e, ConnectionError) or (isinstance(e, SutraError) and e.reason is Reason.UNREACHABLE):
            self.unreachable(e)
        if isinstance(e, SutraError):
            fail(e.message, 2 if e.code == "INVALID_ARGUMENT" else 1)
        raise e


def _target(server: str | None, old: str | None) -> Target:
    return Target(*server_flag(server, old))


def _close(store: Any) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def read_facts(path: Path) -> Iterator[dict[str, Any]]:
    """Facts from a file: `.jsonl` (objects with `content`, optional `source`, `metadata`) or text lines."""
    jsonl = path.suffix.lower() in (".jsonl", ".ndjson")
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            where = f"{path}:{lineno}"
            if jsonl:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    bad = json_error(line, e.pos, e.msg)
                    raise ValueError(f"{where}: {bad['message'].replace('at line 1, column', 'at column')}") from None
                if not isinstance(obj, dict) or not isinstance(obj.get("content"), str):
                    raise ValueError(f"{where}: each line must be a JSON object with a string field 'content'")
                item = {"content": obj["content"], "source": obj.get("source"), "metadata": obj.get("metadata")}
                if item["source"] is not None and not isinstance(item["source"], str):
                    raise ValueError(f"{where}: 'source' must be a string")
                if item["metadata"] is not None and not isinstance(item["metadata"], dict):
                    raise ValueError(f"{where}: 'metadata' must be a JSON object")
                if item["metadata"] is not None and len(json.dumps(item["metadata"]).encode()) > MAX_METADATA_BYTES:
                    raise ValueError(f"{where}: 'metadata' is over {MAX_METADATA_BYTES} bytes (MAX_METADATA_BYTES)")
            else:
                item = {"content": line, "source": str(path), "metadata": None}
            if not item["content"].strip():
                raise ValueError(f"{where}: 'content' is empty")
            size = len(item["content"].encode("utf-8"))
            if size > MAX_LEARN_TEXT_BYTES:
                raise ValueError(f"{where}: text is {size} bytes; the limit is {MAX_LEARN_TEXT_BYTES} "
                                 "(MAX_LEARN_TEXT_BYTES)")
            yield item


def _learn_file(reasoner: Any, path: Path, as_json: bool) -> dict[str, Any]:
    try:
        items = list(read_facts(path))
    except (ValueError, OSError, UnicodeDecodeError) as e:
        fail(str(e), 2)
    totals = {"texts": 0, "concepts_created": 0, "associations_created": 0}
    name = path.name if len(path.name) <= PROGRESS_NAME_CHARS else path.name[:PROGRESS_NAME_CHARS - 1] + "…"
    progress = Progress(  # fits in 80 columns: the bar takes what the other columns leave
        TextColumn("[bold]learning[/bold] {task.description}"), BarColumn(bar_width=None), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>6.0f} texts/s"), TextColumn("ETA"), TimeRemainingColumn(),
        console=err, disable=as_json, transient=False, expand=False,
    )
    with progress:
        task = progress.add_task(escape(name), total=len(items), rate=0.0)
        for i in range(0, len(items), LEARN_CHUNK):
            chunk = items[i:i + LEARN_CHUNK]
            for r in reasoner.learn_batch(chunk):
                totals["concepts_created"] += r.concepts_created
                totals["associations_created"] += r.associations_created
            totals["texts"] += len(chunk)
            progress.update(task, advance=len(chunk))
            t = progress.tasks[0]
            progress.update(task, rate=(t.completed / t.elapsed) if t.elapsed else 0.0)
    return totals


@app.command(rich_help_panel="Knowledge")
def learn(
    text: str | None = typer.Argument(None, help="A text to learn (omit with --file)."),
    file: Path | None = typer.Option(None, "--file", "-f", exists=True, dir_okay=False, readable=True,
                                     help="Learn a file: .txt one fact per line, .jsonl objects with 'content'."),
    source: str | None = typer.Option(None, "--source", help="Where the text came from."),
    server: str | None = ServerOpt,
    old_storage: str | None = OldStorageOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Teach the knowledge base a text, or every fact in a file."""
    if (text is None) == (file is None):
        fail("give either TEXT or --file PATH", 2)
    target = _target(server, old_storage)
    reasoner, store = target.connect()
    try:
        if file is not None:
            totals = _learn_file(reasoner, file, as_json)
            if as_json:
                _print_json(totals)
            else:
                out.print(f"learned {plural(totals['texts'], 'text')} from {escape(str(file))}: "
                          f"{plural(totals['concepts_created'], 'concept')} and "
                          f"{plural(totals['associations_created'], 'association')} created")
            return
        result = reasoner.learn(text, source=source)
        if as_json:
            _print_json(result.to_dict())
        else:
            out.print(f"learned: concept {result.concept_id} ({plural(len(result.concept_ids), 'concept')} touched, "
                      f"{result.concepts_created} created, {plural(result.associations_created, 'association')} "
                      "created)")
    except Exception as e:  # noqa: BLE001 - turned into a clear message
        target.explain(e)
    finally:
        _close(store)


def answer_tree(answer: Any) -> Tree:
    """The answer as the root, each reasoning path a branch, each hop one level deeper (text never markup)."""
    tree = Tree(f"[bold]{escape(answer.answer)}[/bold]  (confidence {answer.confidence:.2f}, {answer.kind})")
    for n, path in enumerate(answer.paths, 1):
        node = tree.add(f"path {n}  (confidence {path.confidence:.3f})")
        for step in path.steps:
            label = step.content if step.relation is None else f"--{step.relation}--> {step.content}"
            node = node.add(escape(label), highlight=False)
    return tree


@app.command(rich_help_panel="Knowledge")
def ask(
    question: str = typer.Argument(..., help="The question."),
    max_paths: int = typer.Option(5, "--max-paths", min=1, max=MAX_ASK_PATHS, help="Reasoning paths to show."),
    max_depth: int = typer.Option(4, "--max-depth", min=1, max=MAX_ASK_DEPTH, help="Hops per path."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date (YYYY-MM-DD): answer as the knowledge stood "
                                     "then."),
    server: str | None = ServerOpt,
    old_storage: str | None = OldStorageOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Ask a question: the answer, its confidence, and the reasoning paths drawn as a tree."""
    try:
        moment = parse_as_of(as_of, "--as-of") if as_of is not None else None
    except InvalidArgument as e:
        raise typer.BadParameter(str(e), param_hint="--as-of") from e
    target = _target(server, old_storage)
    reasoner, store = target.connect()
    try:
        answer = reasoner.ask(question, max_paths=max_paths, max_depth=max_depth, as_of=moment)
    except Exception as e:  # noqa: BLE001 - turned into a clear message
        target.explain(e)
    finally:
        _close(store)
    if as_json:
        _print_json(answer.to_dict())
        return
    out.print(answer_tree(answer))
    if answer.explanation:
        out.print(escape(answer.explanation), highlight=False)


@app.command(rich_help_panel="Knowledge")
def stats(server: str | None = ServerOpt, old_storage: str | None = OldStorageOpt,
          as_json: bool = JsonOpt) -> None:
    """Counts and state of the knowledge base."""
    target = _target(server, old_storage)
    _, store = target.connect()
    try:
        st = store.stats()
    except Exception as e:  # noqa: BLE001 - turned into a clear message
        target.explain(e)
    finally:
        _close(store)
    data = st.to_dict()
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"storage at {escape(target.address)}", show_header=False)
    for k, v in data.items():
        if isinstance(v, list):  # the calls' latency histogram (call_seconds_*): in --json
            continue
        table.add_row(k, str(v))
    out.print(table)
