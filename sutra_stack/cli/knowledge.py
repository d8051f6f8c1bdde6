"""`sutra learn / ask / stats`: use the knowledge base from a shell, straight to the storage server.

These talk to the storage server (`--storage HOST:PORT`, default: setting `storage.server`)
through the same Reasoner the API uses. Every command takes `--json` for scripts.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.tree import Tree

from sutra_stack.cli import app
from sutra_stack.errors import SutraError
from sutra_stack.limits import MAX_ASK_DEPTH, MAX_ASK_PATHS, MAX_LEARN_TEXT_BYTES, MAX_METADATA_BYTES

LEARN_CHUNK = 256  # texts per learn_batch call when learning a file
StorageOpt = typer.Option(None, "--storage", metavar="HOST:PORT",
                          help="Storage server address (default: setting storage.server).")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of text.")

out = Console(soft_wrap=True)
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _reasoner(storage: str | None) -> tuple[Any, Any, str]:
    from sutra_stack.apps.common.storage import connect_storage
    from sutra_stack.config import load_config
    from sutra_stack.reasoning import Reasoner

    try:
        settings = load_config().settings
    except SutraError as e:
        fail(e.message, 2)
    address = storage or settings["storage.server"]
    try:
        store = connect_storage(settings, address)
    except (SutraError, ConnectionError, OSError) as e:
        fail(f"cannot reach the storage server at {address}: {getattr(e, 'message', None) or e}")
    return Reasoner(store), store, address


def _close(store: Any) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


def _explain(e: Exception, address: str) -> NoReturn:
    if isinstance(e, ConnectionError):
        fail(f"cannot reach the storage server at {address}: {getattr(e, 'message', None) or e}")
    if isinstance(e, SutraError):
        fail(e.message, 2 if e.code == "INVALID_ARGUMENT" else 1)
    raise e


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
                    raise ValueError(f"{where}: not valid JSON ({e.msg})") from None
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
    progress = Progress(
        TextColumn("[bold]learning[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f} texts/s"), TimeElapsedColumn(), TextColumn("ETA"),
        TimeRemainingColumn(), console=err, disable=as_json, transient=False,
    )
    with progress:
        task = progress.add_task(path.name, total=len(items), rate=0.0)
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
    storage: str | None = StorageOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Teach the knowledge base a text, or every fact in a file."""
    if (text is None) == (file is None):
        fail("give either TEXT or --file PATH", 2)
    reasoner, store, address = _reasoner(storage)
    try:
        if file is not None:
            totals = _learn_file(reasoner, file, as_json)
            if as_json:
                _print_json(totals)
            else:
                out.print(f"learned {totals['texts']} texts from {escape(str(file))}: "
                          f"{totals['concepts_created']} concepts and {totals['associations_created']} "
                          "associations created")
            return
        result = reasoner.learn(text, source=source)
        if as_json:
            _print_json(result.to_dict())
        else:
            out.print(f"learned: concept {result.concept_id} ({len(result.concept_ids)} concepts touched, "
                      f"{result.concepts_created} created, {result.associations_created} associations created)")
    except Exception as e:  # noqa: BLE001 - turned into a clear message
        _explain(e, address)
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
    storage: str | None = StorageOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Ask a question: the answer, its confidence, and the reasoning paths drawn as a tree."""
    reasoner, store, address = _reasoner(storage)
    try:
        answer = reasoner.ask(question, max_paths=max_paths, max_depth=max_depth)
    except Exception as e:  # noqa: BLE001 - turned into a clear message
        _explain(e, address)
    finally:
        _close(store)
    if as_json:
        _print_json(answer.to_dict())
        return
    out.print(answer_tree(answer))
    if answer.explanation:
        out.print(escape(answer.explanation), highlight=False)


@app.command(rich_help_panel="Knowledge")
def stats(storage: str | None = StorageOpt, as_json: bool = JsonOpt) -> None:
    """Counts and state of the knowledge base."""
    _, store, address = _reasoner(storage)
    try:
        st = store.stats()
    except Exception as e:  # noqa: BLE001 - turned into a clear message
        _explain(e, address)
    finally:
        _close(store)
    data = st.to_dict()
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"storage at {address}", show_header=False)
    for k, v in data.items():
        table.add_row(k, str(v))
    out.print(table)
