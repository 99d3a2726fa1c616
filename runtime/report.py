"""The run report: what a build did, stage by stage, printed for people and written as JSON beside the outputs."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class RunReport:
    source_root: str
    out_dir: str
    files: int = 0
    extractors: tuple[str, ...] = ()
    stage_seconds: dict[str, float] = field(default_factory=dict)
    evidence_rows: dict[str, int] = field(default_factory=dict)
    output_rows: dict[str, int] = field(default_factory=dict)
    output_versions: dict[str, int] = field(default_factory=dict)
    # How each output was brought up to date: unchanged, incremental (files, rows changed) or whole.
    output_modes: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    full_extraction: bool = True
    extracted_files: int = 0
    unchanged_files: int = 0
    removed_files: int = 0
    maintenance: dict[str, dict[str, int]] = field(default_factory=dict)
    udfs: dict[str, str] = field(default_factory=dict)  # UDF -> the implementation installed (rust or python)
    udf_extension: str = ""  # the Rust UDF extension: loaded from where, not built, or disabled
    staged_shared_views: bool = False

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[name] = self.stage_seconds.get(name, 0.0) + time.perf_counter() - start

    def render(self) -> str:
        mode = "full" if self.full_extraction else "incremental"
        lines = [
            f"semc build {self.source_root} -> {self.out_dir}",
            f"  files: {self.files}",
            f"  evidence: {mode}; {self.extracted_files} extracted, {self.unchanged_files} unchanged, "
            f"{self.removed_files} removed or redone",
            "  extractors run: " + (", ".join(self.extractors) or "none"),
            "  stages: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.stage_seconds.items()),
            "  evidence rows: " + ", ".join(f"{k}={v}" for k, v in sorted(self.evidence_rows.items())),
        ]
        if self.udfs:
            lines.append("  UDFs: " + ", ".join(f"{k} ({v})" for k, v in sorted(self.udfs.items())))
            lines.append(f"  Rust UDF extension: {self.udf_extension}")
        if self.staged_shared_views:
            lines.append("  shared views staged in Delta (large evidence)")
        lines.append("  outputs:")
        lines.extend(f"    {name:<24} {rows:>10} rows" for name, rows in sorted(self.output_rows.items()))
        if self.output_modes:
            lines.append("  output updates: " + ", ".join(f"{k} {v}" for k, v in sorted(self.output_modes.items())))
        lines.extend(f"  extractor failure: {failure}" for failure in self.failures)
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    def write_json(self, path: Path) -> None:
        """Atomically: a reader sees the previous report or this one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(self.to_json() + "\n", encoding="utf-8")
        os.replace(temporary, path)
