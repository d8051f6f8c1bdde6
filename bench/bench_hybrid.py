"""sutra-hybrid (the OpenAI-compatible API) beside sutra-api's /ask, on the same store, in the same run.

Builds a store of ~100K concepts with bench/gen_store.py, starts sutra-api and sutra-hybrid on it, and
asks both the same questions:
  * chat completion latency (one client) p50 / p95, beside POST /ask, and the time to the first streamed
    content token (stream: true): each question asked the three ways in turn, so all see the same load;
  * chat completion rate and p50 / p95 with --clients clients, beside POST /ask's (alternating rounds);
  * embeddings: texts/s through POST /v1/embeddings (one text per request with --clients clients, and
    batches of 64), beside calling the same embedder in-process.
Targets: chat rate ≥ 0.9× /ask's, chat p50 within 1 ms of /ask's, first token ≤ the non-streamed p50.
The load generator is bench_api's asyncio HTTP/1.1 keep-alive client.

Usage: python bench/bench_hybrid.py [--concepts 100000] [--clients 16] [--seconds 5] [--asks 500] [--quick]
A quick run (--quick): --concepts 10000 --seconds 2 --asks 200
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import baseline  # bench/baseline.py: which tree's sutra_stack this run measures

baseline.setup_path()

import gen_store  # noqa: E402
import httpx  # noqa: E402
from bench_api import _roundtrip, http_concurrent, http_sequential, pct, request_bytes  # noqa: E402

from sutra_stack.config import settings_from_env  # noqa: E402
from sutra_stack.storage import StorageClient  # noqa: E402
from sutra_stack.storage.engine.embedders import make_embedder  # noqa: E402
from tests.support.procs import free_port, running, wait_until  # noqa: E402

PY = sys.executable
QUICK = {"concepts": 10_000, "seconds": 2.0, "asks": 200}
CONTENT = b'"delta":{"content":'


def chat_body(q: str, stream: bool = False) -> dict:
    body: dict = {"model": "sutra", "messages": [{"role": "user", "content": q}]}
    if stream:
        body["stream"] = True
    return body


async def _streamed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> tuple[float, float]:
    """One streamed request: seconds to the first chunk with content, and to the end of the stream."""
    t0 = time.perf_counter()
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    if head[9:12] != b"200":
        raise SystemExit(f"HTTP {head[9:12]!r}")
    seen, first = b"", None
    while True:  # chunked transfer encoding
        size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
        data = await reader.readexactly(size + 2)
        if size == 0:
            break
        seen += data
        if first is None and CONTENT in seen:
            first = time.perf_counter() - t0
    whole = time.perf_counter() - t0
    return (first if first is not None else whole), whole


async def interleaved(aport: int, hport: int, asks: list[bytes], chats: list[bytes], streams: list[bytes]
                      ) -> dict[str, list[float]]:
    """One client: each question to /ask, as a chat completion and streamed, in turn (so the three see the
    same load on a shared machine). Seconds per request, and to the first streamed token."""
    a_r, a_w = await asyncio.open_connection("127.0.0.1", aport)
    h_r, h_w = await asyncio.open_connection("127.0.0.1", hport)
    out: dict[str, list[float]] = {"ask": [], "chat": [], "first": [], "whole": []}
    for ask, chat, stream in zip(asks, chats, streams, strict=True):
        for name, reader, writer, req in (("ask", a_r, a_w, ask), ("chat", h_r, h_w, chat)):
            t0 = time.perf_counter()
            status, body = await _roundtrip(reader, writer, req)
            out[name].append(time.perf_counter() - t0)
            if status != 200:
                raise SystemExit(f"HTTP {status}: {body[:300]!r}")
        first, whole = await _streamed(h_r, h_w, stream)
        out["first"].append(first)
        out["whole"].append(whole)
    a_w.close()
    h_w.close()
    return out


def alternating_rates(aport: int, hport: int, asks: list[bytes], chats: list[bytes], clients: int, seconds: float,
                      rounds: int = 4) -> tuple[float, list[float], float, list[float]]:
    """Rate and latencies of /ask and of chat completions with `clients` clients, in alternating rounds."""
    a_n = c_n = 0.0
    a_lat: list[float] = []
    c_lat: list[float] = []
    for _ in range(rounds):
        rate, lat = asyncio.run(http_concurrent(aport, asks, clients, seconds / rounds))
        a_n, a_lat = a_n + rate / rounds, a_lat + lat
        rate, lat = asyncio.run(http_concurrent(hport, chats, clients, seconds / rounds))
        c_n, c_lat = c_n + rate / rounds, c_lat + lat
    return a_n, a_lat, c_n, c_lat


def row(name: str, hybrid: str, api: str, ratio: str, target: str) -> None:
    print(f"{name:<40} {hybrid:>14} {api:>16} {ratio:>9} {target:>16}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--concepts", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--asks", type=int, default=500)
    ap.add_argument("--quick", action="store_true", help="small sizes: " + str(QUICK))
    args = ap.parse_args()
    if args.quick:
        ap.set_defaults(**QUICK)
        args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-hybrid-"))
    sport, fport, aport, hport = free_port(), free_port(), free_port(), free_port()
    senv = {"SUTRA_STORAGE_PATH": str(tmp / "data"), "SUTRA_STORAGE_PORT": str(sport),
            "SUTRA_STORAGE_FAST_PORT": str(fport), "SUTRA_LOG_LEVEL": "WARNING"}
    address = f"127.0.0.1:{sport}"
    with running([PY, "-m", "sutra_stack.storage.server"], env=senv, log=tmp / "storage.log", stop_timeout=60):
        client = StorageClient(address)
        wait_until(lambda: client.stats() is not None, 120, 0.05, what="storage server")
        t0 = time.perf_counter()
        n_facts = gen_store.fill(client, args.concepts)
        st = client.stats()
        print(f"store: {st.concepts} concepts, {st.associations} associations (built in "
              f"{time.perf_counter() - t0:.1f} s); clients={args.clients}, {args.seconds:g} s per rate")
        common = {"SUTRA_STORAGE_SERVER": address, "SUTRA_LOG_LEVEL": "WARNING"}
        with running([PY, "-m", "sutra_stack.apps.api"], env={**common, "SUTRA_API_PORT": str(aport)},
                     log=tmp / "api.log", stop_timeout=60), \
                running([PY, "-m", "sutra_stack.apps.hybrid"], env={**common, "SUTRA_HYBRID_PORT": str(hport),
                                                                        "SUTRA_HYBRID_ALLOWED_HOSTS": "bench"},
                        log=tmp / "hybrid.log", stop_timeout=60):
            for port in (aport, hport):
                wait_until(lambda p=port: httpx.get(f"http://127.0.0.1:{p}/ready", timeout=2).status_code == 200,
                           60, 0.05, what="ready")
            qs = gen_store.questions(n_facts, args.asks)
            ask_reqs = [request_bytes("/ask", {"question": q}) for q in qs]
            chat_reqs = [request_bytes("/v1/chat/completions", chat_body(q)) for q in qs]
            stream_reqs = [request_bytes("/v1/chat/completions", chat_body(q, stream=True)) for q in qs]
            asyncio.run(http_sequential(aport, ask_reqs))  # every question once in each process: warm caches
            asyncio.run(http_sequential(hport, chat_reqs))

            seq = asyncio.run(interleaved(aport, hport, ask_reqs, chat_reqs, stream_reqs))
            api_lat, chat_lat, firsts, wholes = seq["ask"], seq["chat"], seq["first"], seq["whole"]
            api_rate, api_conc, chat_rate, chat_conc = alternating_rates(aport, hport, ask_reqs, chat_reqs,
                                                                         args.clients, args.seconds)

            texts = [f"{q} {i}" for i, q in enumerate(qs)]
            embedder = make_embedder(settings_from_env())
            n_inproc = 0
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < args.seconds / 2:
                embedder.embed([texts[n_inproc % len(texts)]])
                n_inproc += 1
            inproc_one = n_inproc / (time.perf_counter() - t0)
            batches = [texts[i:i + 64] for i in range(0, len(texts) - 63, 64)] or [texts[:64]]
            n_batched = 0
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < args.seconds / 2:
                n_batched += len(embedder.embed(batches[n_batched % len(batches)]))
            inproc_batch = n_batched / (time.perf_counter() - t0)
            emb_one = [request_bytes("/v1/embeddings", {"model": "hash-384", "input": t, "encoding_format": "base64"})
                       for t in texts]
            emb_batch = [request_bytes("/v1/embeddings", {"model": "hash-384", "input": b,
                                                          "encoding_format": "base64"}) for b in batches]
            http_one, _ = asyncio.run(http_concurrent(hport, emb_one, args.clients, args.seconds / 2))
            http_batches, _ = asyncio.run(http_concurrent(hport, emb_batch, args.clients, args.seconds / 2))

    print()
    row("", "sutra-hybrid", "sutra-api /ask", "ratio", "target")
    a50, c50 = pct(api_lat, 50), pct(chat_lat, 50)
    row("chat p50, 1 client (ms)", f"{c50:.2f}", f"{a50:.2f}", f"{c50 / a50:.2f}x", f"within 1 ms ({c50 - a50:+.2f})")
    row("chat p95, 1 client (ms)", f"{pct(chat_lat, 95):.2f}", f"{pct(api_lat, 95):.2f}",
        f"{pct(chat_lat, 95) / pct(api_lat, 95):.2f}x", "")
    row(f"chat rate, {args.clients} clients (/s)", f"{chat_rate:,.0f}", f"{api_rate:,.0f}",
        f"{chat_rate / api_rate:.2f}x", ">= 0.9x")
    row(f"chat p50 / p95, {args.clients} clients (ms)", f"{pct(chat_conc, 50):.1f} / {pct(chat_conc, 95):.1f}",
        f"{pct(api_conc, 50):.1f} / {pct(api_conc, 95):.1f}", "", "")
    f50 = pct(firsts, 50)
    row("first streamed token p50 (ms)", f"{f50:.2f}", f"{c50:.2f} (chat p50)", f"{f50 / c50:.2f}x",
        "<= non-stream p50")
    row("first token p95 / whole stream p50 (ms)", f"{pct(firsts, 95):.2f} / {pct(wholes, 50):.2f}", "", "", "")
    row("", "HTTP", "in-process", "ratio", "")
    row(f"embeddings, 1 text/request, {args.clients} cl. (/s)", f"{http_one:,.0f}", f"{inproc_one:,.0f}",
        f"{http_one / inproc_one:.2f}x", "")
    row("embeddings, 64 texts/request (texts/s)", f"{http_batches * 64:,.0f}", f"{inproc_batch:,.0f}",
        f"{http_batches * 64 / inproc_batch:.2f}x", "")


if __name__ == "__main__":
    main()
