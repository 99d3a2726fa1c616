"""'Did you mean ...?' hints, shared by every stage that reports an unknown name."""

from __future__ import annotations

import difflib


def did_you_mean(name: str, candidates) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
