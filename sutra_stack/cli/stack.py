"""`sutra up / down / status / logs / restart / start / stop / init`: the supervisor's commands."""

from __future__ import annotations
