"""Health and readiness helpers for REST apps: probe a dependency with a deadline, never raise."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sutra_stack.apps.common.blocking import blocking

PROBE_TIMEOUT_SECONDS = 2.0


async def probe(check: Callable[[], Any], timeout: float = PROBE_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Run the blocking `check` on the blocking pool; report {"status": "up"|"down", "latency_ms", ...}.

    A dataclass (or object with `to_dict`) returned by the check is merged into the report
    (e.g. storage stats give `concepts` and `associations`).
    """
    t0 = time.perf_counter()
    try:
        result = await asyncio.wait_for(blocking(check), timeout)
    except TimeoutError:
        return {"status": "down", "error": f"no answer within {timeout:g}s"}
    except Exception as e:  # noqa: BLE001 - a probe reports, it does not raise
        msg = getattr(e, "message", None) or str(e) or type(e).__name__
        return {"status": "down", "error": msg}
    out: dict[str, Any] = {"status": "up", "latency_ms": round((time.perf_counter() - t0) * 1000, 3)}
    if hasattr(result, "to_dict"):
        d = result.to_dict()
        out.update({k: d[k] for k in ("concepts", "associations") if k in d})
    return out
