"""One resolver per run maps every dataset binding to its location under the output root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class DatasetResolver:
    root: Path
    bindings: Mapping[str, str]

    def location(self, name: str) -> Path:
        try:
            relative = self.bindings[name]
        except KeyError:
            raise KeyError(f"'{name}' has no dataset binding in the compiled program") from None
        return self.root / relative
