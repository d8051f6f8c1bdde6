"""Embedders: turn text into unit vectors when a caller sends no vector.

`hash` (default): deterministic feature hashing of words, word pairs and character 3-grams,
numpy only, vectorised over a batch. `sentence-transformers`: a local model (optional extra).
`http`: an OpenAI-compatible `/v1/embeddings` endpoint. `make_embedder(settings)` picks one.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from sutra_stack.errors import FailedPrecondition, InvalidArgument, Unavailable

WORD_RE = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens: the one tokenizer of the hash embedder and the text index."""
    return WORD_RE.findall(text.lower())


class Embedder(Protocol):
    kind: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dimension), each row L2-normalised."""
        ...


def normalize_rows(mat: np.ndarray) -> np.ndarray:
    """L2-normalise rows in place; an all-zero row becomes a fixed unit vector."""
    norms = np.linalg.norm(mat, axis=1)
    zero = norms == 0
    if zero.any():
        mat[zero, 0] = 1.0
        norms[zero] = 1.0
    mat /= norms[:, None]
    return mat


# Multipliers of the polynomial 3-gram hash (odd 32-bit constants).
_K1, _K2, _K3 = np.uint64(0x9E3779B1), np.uint64(0x85EBCA77), np.uint64(0xC2B2AE3D)
_MASK32 = np.uint64(0xFFFFFFFF)
WORD_CACHE = 8192  # words whose own features `HashEmbedder` keeps (cleared when full)


class HashEmbedder:
    """Feature hashing into `dimension` buckets with a hashed sign, so shared words land close."""

    kind = "hash"
    WORD_W = 1.0
    PAIR_W = 0.7
    GRAM_W = 0.25

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = int(dimension)
        self._words: dict[str, tuple[int, list[int], list[float]]] = {}
        self._gaps: dict[int, tuple[int, float]] = {}  # (last byte, first byte) -> the gram's feature

    @staticmethod
    def _word_hash(word: str) -> int:
        return zlib.crc32(word.encode("utf-8"))

    def _word_features(self, word: str) -> tuple[int, list[int], list[float]]:
        """A word's hash and its own features: the word, and the 3-grams of " word " (cached)."""
        hit = self._words.get(word)
        if hit is not None:
            return hit
        dim, gw, mask = self.dimension, self.GRAM_W, 0xFFFFFFFF
        k1, k2, k3 = int(_K1), int(_K2), int(_K3)
        raw = word.encode("utf-8")
        h = zlib.crc32(raw)
        buckets, weights = [h % dim], [-self.WORD_W if (h >> 31) & 1 else self.WORD_W]
        seg = b" " + raw + b" "
        for x, y, z in zip(seg, seg[1:], seg[2:], strict=False):
            g = (x * k1 + y * k2 + z * k3) & mask
            g ^= g >> 13
            g = (g * k1) & mask
            buckets.append(g % dim)
            weights.append(-gw if (g >> 31) & 1 else gw)
        if len(self._words) >= WORD_CACHE:
            self._words.clear()
        out = (h, buckets, weights)
        self._words[word] = out
        return out

    def _embed_one(self, text: str) -> np.ndarray:
        """The same features as `embed` in plain Python (for one text numpy's per-call cost
        dominates), each word's own features cached; equal to `embed` up to float rounding."""
        dim = self.dimension
        acc = [0.0] * dim
        pw, gw, mask = self.PAIR_W, self.GRAM_W, 0xFFFFFFFF
        k1, k2, k3 = int(_K1), int(_K2), int(_K3)
        prev_h, prev_last = -1, 0
        gaps = self._gaps
        for word in WORD_RE.findall(text.lower()):
            h, buckets, weights = self._word_features(word)
            for b, w in zip(buckets, weights, strict=True):
                acc[b] += w
            raw = word.encode("utf-8")
            if prev_h >= 0:
                p = (prev_h * k1 + h * k2 + 0x27D4EB2F) & mask  # the word pair
                p ^= p >> 15
                p = (p * k3) & mask
                acc[p % dim] += -pw if (p >> 31) & 1 else pw
                key = prev_last << 8 | raw[0]  # the 3-gram across the space: 64K possible
                gap = gaps.get(key)
                if gap is None:
                    g = (prev_last * k1 + 0x20 * k2 + raw[0] * k3) & mask
                    g ^= g >> 13
                    g = (g * k1) & mask
                    gap = gaps[key] = (g % dim, -gw if (g >> 31) & 1 else gw)
                acc[gap[0]] += gap[1]
            prev_h, prev_last = h, raw[-1]
        row = np.asarray(acc, dtype=np.float64)
        norm = math.sqrt(float(row.dot(row)))  # what normalize_rows does, without its per-call overhead
        if norm == 0.0:
            return normalize_rows(row.astype(np.float32)[None, :])
        return (row / norm).astype(np.float32)[None, :]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:
            return self._embed_one(texts[0])
        n, dim = len(texts), self.dimension
        rows: list[int] = []
        hashes: list[int] = []
        pair_rows: list[int] = []
        pair_a: list[int] = []
        pair_b: list[int] = []
        blobs: list[bytes] = []
        wh = self._word_hash
        for i, text in enumerate(texts):
            low = text.lower()
            words = [wh(w) for w in WORD_RE.findall(low)]
            rows.extend([i] * len(words))
            hashes.extend(words)
            if len(words) > 1:
                pair_rows.extend([i] * (len(words) - 1))
                pair_a.extend(words[:-1])
                pair_b.extend(words[1:])
            blobs.append(b" " + " ".join(WORD_RE.findall(low)).encode("utf-8") + b" ")
        idx_parts: list[np.ndarray] = []
        w_parts: list[np.ndarray] = []
        if hashes:
            h = np.asarray(hashes, dtype=np.uint64)
            idx_parts.append(np.asarray(rows, dtype=np.int64) * dim + (h % np.uint64(dim)).astype(np.int64))
            w_parts.append(np.where((h >> np.uint64(31)) & np.uint64(1), -self.WORD_W, self.WORD_W))
        if pair_a:
            a = np.asarray(pair_a, dtype=np.uint64)
            b = np.asarray(pair_b, dtype=np.uint64)
            h = (a * _K1 + b * _K2 + np.uint64(0x27D4EB2F)) & _MASK32
            h ^= h >> np.uint64(15)
            h = (h * _K3) & _MASK32
            idx_parts.append(np.asarray(pair_rows, dtype=np.int64) * dim + (h % np.uint64(dim)).astype(np.int64))
            w_parts.append(np.where((h >> np.uint64(31)) & np.uint64(1), -self.PAIR_W, self.PAIR_W))
        # Character 3-grams over the whole batch at once (byte level, word-boundary padded).
        lens = np.fromiter((len(b) for b in blobs), dtype=np.int64, count=n)
        buf = np.frombuffer(b"".join(blobs), dtype=np.uint8).astype(np.uint64)
        if len(buf) >= 3:
            starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
            doc_of = np.repeat(np.arange(n, dtype=np.int64), lens)
            h = (buf[:-2] * _K1 + buf[1:-1] * _K2 + buf[2:] * _K3) & _MASK32
            h ^= h >> np.uint64(13)
            h = (h * _K1) & _MASK32
            # drop grams that straddle two texts
            pos = np.arange(len(buf) - 2, dtype=np.int64)
            ok = pos + 2 < (starts + lens)[doc_of[:-2]]
            h, docs = h[ok], doc_of[:-2][ok]
            idx_parts.append(docs * dim + (h % np.uint64(dim)).astype(np.int64))
            w_parts.append(np.where((h >> np.uint64(31)) & np.uint64(1), -self.GRAM_W, self.GRAM_W))
        if idx_parts:
            flat = np.bincount(np.concatenate(idx_parts), weights=np.concatenate(w_parts), minlength=n * dim)
            mat = flat.reshape(n, dim).astype(np.float32)
        else:
            mat = np.zeros((n, dim), dtype=np.float32)
        return normalize_rows(mat)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model (install the `sentence-transformers` extra)."""

    kind = "sentence-transformers"

    def __init__(self, model: str, dimension: int) -> None:
        if not model:
            raise FailedPrecondition("embedder.model must name a local sentence-transformers model path")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise FailedPrecondition(
                "embedder.kind = sentence-transformers needs the extra: "
                "pip install 'sutra-stack[sentence-transformers]'"
            ) from None
        self._model = SentenceTransformer(model)
        model_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension  # the older name (sentence-transformers < 5.2)
        got = int(model_dim() or 0)
        if got != dimension:
            raise FailedPrecondition(f"model {model} gives {got} dimensions but embedder.dimension is {dimension}")
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self._model.encode(list(texts), convert_to_numpy=True, normalize_embeddings=False)
        return normalize_rows(np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dimension))


class HttpEmbedder:
    """An OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama, vLLM, ...)."""

    kind = "http"

    def __init__(self, url: str, model: str, dimension: int, api_key: str = "", timeout: float = 30.0) -> None:
        if not url:
            raise FailedPrecondition("embedder.url must be set for embedder.kind = http")
        import httpx

        base = url.rstrip("/")
        self._endpoint = base if base.endswith("/embeddings") else (
            base + "/embeddings" if base.endswith("/v1") else base + "/v1/embeddings"
        )
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self._model = model
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        try:
            resp = self._client.post(self._endpoint, json={"model": self._model, "input": list(texts)})
        except Exception as e:  # noqa: BLE001 - any transport failure
            raise Unavailable(f"embedding endpoint {self._endpoint} unreachable: {type(e).__name__}") from None
        if resp.status_code != 200:
            raise Unavailable(f"embedding endpoint {self._endpoint} answered {resp.status_code}")
        data = sorted(resp.json().get("data", []), key=lambda d: d.get("index", 0))
        mat = np.asarray([d["embedding"] for d in data], dtype=np.float32)
        if mat.shape != (len(texts), self.dimension):
            raise InvalidArgument(
                f"embedding endpoint returned shape {mat.shape}, expected ({len(texts)}, {self.dimension})",
                field="embedder.dimension",
            )
        return normalize_rows(mat)


def make_embedder(settings: Mapping[str, Any]) -> Embedder:
    kind = settings.get("embedder.kind", "hash")
    dim = int(settings.get("embedder.dimension", 384))
    if kind == "hash":
        return HashEmbedder(dim)
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.get("embedder.model", ""), dim)
    if kind == "http":
        return HttpEmbedder(
            settings.get("embedder.url", ""), settings.get("embedder.model", ""), dim,
            settings.get("embedder.api_key", ""),
        )
    raise InvalidArgument(f"embedder.kind must be hash, sentence-transformers or http, got {kind!r}",
                          field="embedder.kind")
