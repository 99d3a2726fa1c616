"""Every bad input becomes a diagnostics row naming the file and the reason, and the rest is still built."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from deltalake import DeltaTable

import runtime
from runtime.build import BuildOptions
from runtime.discovery import DiscoveryOptions, discover_files
from runtime.source import read_file


def diagnostics(out: Path) -> dict[str, dict]:
    return {r["file"]: r for r in DeltaTable(str(out / "diagnostics")).to_pyarrow_table().to_pylist()}


def test_bad_files_are_rows_and_good_files_are_built(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.py").write_text("def fine():\n    return 1\n")
    (src / "syntax.py").write_text("def broken(:\n")
    (src / "latin.py").write_bytes(b"x = '\xe9'\n")  # not UTF-8, no coding cookie
    (src / "nul.py").write_bytes(b"x = 1\n\x00\n")
    (src / "deep.py").write_text("x = " + "+".join(["1"] * 200_000) + "\n")
    (src / "huge.py").write_bytes(b"x = 1\n" * (20 * 1024 * 1024 // 6 + 1))  # a 20 MB file
    (src / "compile.py").write_text("nonlocal x\n")  # parses, but the compiler refuses it
    os.mkfifo(src / "fifo.py")  # must not block the build waiting for a writer
    out = tmp_path / "out"
    report = runtime.build(src, out, options=BuildOptions(progress=False, max_file_bytes=10 * 1024 * 1024))
    assert report.failures == []
    rows = diagnostics(out)
    assert {f: r["code"] for f, r in rows.items()} == {
        "syntax.py": "syntax",
        "latin.py": "encoding",
        "nul.py": "null-bytes",
        "deep.py": "recursion",
        "huge.py": "too-large",
        "compile.py": "symtable",
        "fifo.py": "not-regular",
    }
    assert "20971" in rows["huge.py"]["message"] or "bytes" in rows["huge.py"]["message"]
    nodes = DeltaTable(str(out / "cpg_nodes")).to_pyarrow_table().to_pylist()
    assert "good.fine" in {n["qualified_name"] for n in nodes}


def test_files_that_change_or_vanish_after_discovery_are_rows(tmp_path):
    (tmp_path / "stays.py").write_text("a = 1\n")
    (tmp_path / "edited.py").write_text("b = 1\n")
    (tmp_path / "gone.py").write_text("c = 1\n")
    entries = {e.file_id: e for e in discover_files(tmp_path)}
    (tmp_path / "edited.py").write_text("b = 22222\n")  # a different size: a different file than discovered
    (tmp_path / "gone.py").unlink()
    assert read_file(entries["stays.py"]).data == b"a = 1\n"
    edited, gone = read_file(entries["edited.py"]), read_file(entries["gone.py"])
    assert (edited.data, edited.read_code) == (None, "changed")
    assert (gone.data, gone.read_code) == (None, "vanished")


def test_a_file_rewritten_during_a_build_is_reported_then_picked_up(tmp_path):
    # A writer process keeps rewriting one large file while the build runs: the build reports it (or, if the
    # writer happened to be idle at the read, extracts a consistent version), and the next build after the
    # writer stops has exactly its final content.
    src = tmp_path / "src"
    src.mkdir()
    (src / "still.py").write_text("def quiet():\n    pass\n")
    busy = src / "busy.py"
    busy.write_text("x = 0\n" * 200_000)
    writer = subprocess.Popen(
        ["python3", "-c", "import sys, time\nfor i in range(400):\n    open(sys.argv[1], 'a').write(f'y{i} = 1\\n' * 500)\n    time.sleep(0.005)\n", str(busy)])
    try:
        runtime.build(src, tmp_path / "out")
    finally:
        writer.wait()
    rows = diagnostics(tmp_path / "out")
    assert set(rows) <= {"busy.py"} and all(r["code"] == "changed" for r in rows.values())
    busy.write_text("def settled():\n    pass\n")
    runtime.build(src, tmp_path / "out")
    assert diagnostics(tmp_path / "out") == {}
    nodes = {n["qualified_name"] for n in DeltaTable(str(tmp_path / "out" / "cpg_nodes")).to_pyarrow_table().to_pylist()}
    assert {"busy.settled", "still.quiet"} <= nodes


def test_git_discovery_respects_gitignore_and_sees_untracked_files(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text("ignored/\n*_gen.py\n")
    for name in ("tracked.py", "untracked.py", "ignored/x.py", "thing_gen.py", "pkg/mod.py", "tests/test_a.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    git("add", "tracked.py")
    found = [e.file_id for e in discover_files(tmp_path)]
    assert found == ["pkg/mod.py", "tests/test_a.py", "tracked.py", "untracked.py"]
    options = DiscoveryOptions(include=("pkg/**", "*.py"), exclude=("tests",))
    assert [e.file_id for e in discover_files(tmp_path, options)] == ["pkg/mod.py", "tracked.py", "untracked.py"]
    only_pkg = DiscoveryOptions(include=("pkg/**",))
    assert [e.file_id for e in discover_files(tmp_path, only_pkg)] == ["pkg/mod.py"]
    # without git, the ignored files are seen
    plain = [e.file_id for e in discover_files(tmp_path, DiscoveryOptions(use_git=False))]
    assert "ignored/x.py" in plain and "thing_gen.py" in plain
