"""Benchmark `semc build` on the running interpreter's stdlib and on Django 5.1.4, against the parse floor and
two peers (pyan3, scip-python) on Django. Run: `.venv/bin/python bench/build_bench.py [--cache DIR] [--runs N]`.

Every number is measured in this run; ratios are against the parse floor measured here. Peers and Django are
installed into the cache folder, never into the project's environment.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def tool_env() -> dict[str, str]:
    """The environment semc and the peers run in: as on a user's machine, Python caches compiled modules
    (a sandbox's PYTHONDONTWRITEBYTECODE would charge every run ~0.25 s of compiling semc's own code)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def copy_stdlib(target: Path) -> Path:
    """A private copy, so that touching a file never touches the interpreter's own stdlib."""
    if not target.exists():
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        shutil.copytree(stdlib, target, ignore=shutil.ignore_patterns("site-packages", "__pycache__"), symlinks=True)
    return target


def django_source(cache: Path) -> Path:
    target = cache / "django-5.1.4"
    if not (target / "django").is_dir():
        wheels = cache / "wheels"
        subprocess.run([PYTHON, "-m", "pip", "download", "django==5.1.4", "--no-deps", "-d", str(wheels), "-q"],
                       check=True)
        wheel = next(wheels.glob("Django-5.1.4-*.whl"), None) or next(wheels.glob("django-5.1.4-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target, members=[m for m in archive.namelist() if m.startswith("django/")])
    return target


def py_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)


def parse_floor(root: Path) -> float:
    """ast.parse of every file in one process, each tree dropped after use."""
    code = (
        "import ast, sys, time, pathlib\n"
        "files = sorted(p for p in pathlib.Path(sys.argv[1]).rglob('*.py') if 'site-packages' not in p.parts)\n"
        "data = [p.read_bytes() for p in files]\n"
        "start = time.perf_counter()\n"
        "for d in data:\n"
        "    try: ast.parse(d)\n"
        "    except Exception: pass\n"
        "print(time.perf_counter() - start)\n"
    )
    out = subprocess.run([PYTHON, "-W", "ignore", "-c", code, str(root)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def timed(command: list[str], cwd: Path | None = None, log: Path | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB of the command's largest process, exit code).

    Measured through a fresh wrapper process: RUSAGE_CHILDREN of this process is a running maximum over every
    child so far, which would charge the peers with semc's own peak. With `log`, the command's stderr is written
    there for the caller to read, and not printed here.
    """
    wrapper = (
        "import resource, subprocess, sys\n"
        "log = open(sys.argv[1], 'wb') if sys.argv[1] else None\n"
        "code = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=log).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    start = time.perf_counter()
    proc = subprocess.run([PYTHON, "-c", wrapper, str(log or ""), *command], cwd=cwd, capture_output=True, text=True,
                          env=tool_env())
    wall = time.perf_counter() - start
    peak_kib, code = (int(x) for x in proc.stdout.split()[-2:])
    if code != 0 and log is None:
        print(f"    ! {' '.join(command[:3])}... exited {code}: {proc.stderr.strip()[-400:]}")
    return wall, peak_kib / 1024, code


def _tree_rss_mib(root_pid: int) -> float:
    """Resident memory of a process and all its descendants now, from /proc (0 where a process just ended)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack, page = 0, [root_pid], os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total / (1024 * 1024)


def semc_build(src: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, peak resident memory of the whole process tree in MiB, sampled every 50 ms)."""
    script = (
        "import sys\n"
        "from runtime.build import build, BuildOptions\n"
        "build(sys.argv[1], sys.argv[2], options=BuildOptions(progress=False))\n"
    )
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen([PYTHON, "-W", "ignore", "-c", script, str(src), str(out)],
                                stdout=subprocess.DEVNULL, stderr=errors, cwd=ROOT, env=tool_env())
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_mib(proc.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"semc build failed:\n{errors.read().decode(errors='replace')[-2000:]}")
    return wall, peak


def _median_file(src: Path) -> Path:
    return sorted(py_files(src), key=lambda p: p.stat().st_size)[len(py_files(src)) // 2]


def touch_one(src: Path, target: Path | None = None) -> None:
    """Touch one file (by default the median one by size): a comment at its end, which changes its size and its
    module's span but no code."""
    with open(target or _median_file(src), "a", encoding="utf-8") as handle:
        handle.write("\n# touched by the benchmark\n")


def edit_one(src: Path, run: int) -> None:
    """Edit one file's code: a new function that calls a builtin, which name resolution must see."""
    with open(_median_file(src), "a", encoding="utf-8") as handle:
        handle.write(f"\n\ndef _added_by_the_benchmark_{run}():\n    return len([])\n")


def bench_corpus(name: str, src: Path, runs: int, work: Path) -> dict:
    files = py_files(src)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"\n== {name}: {len(files)} files, {lines} lines ({src})")
    floors = [parse_floor(src) for _ in range(runs)]
    floor = statistics.median(floors)
    print(f"  (a) parse floor          {floor:7.2f} s   (median of {runs}: {', '.join(f'{x:.2f}' for x in floors)})")
    fulls, touched, edited, nochange, peaks = [], [], [], [], []
    for run in range(runs):
        out = work / f"{name}-out-{run}"
        shutil.rmtree(out, ignore_errors=True)
        wall, peak = semc_build(src, out)
        fulls.append(wall)
        peaks.append(peak)
        touch_one(src)
        wall, peak = semc_build(src, out)
        touched.append(wall)
        peaks.append(peak)
        edit_one(src, run)
        wall, peak = semc_build(src, out)
        edited.append(wall)
        peaks.append(peak)
        wall, peak = semc_build(src, out)
        nochange.append(wall)
        peaks.append(peak)
    full = statistics.median(fulls)
    result = {"floor": floor, "full": full, "touched": statistics.median(touched), "edited": statistics.median(edited),
              "nochange": statistics.median(nochange), "peak": max(peaks)}
    print(f"  (b) full build           {full:7.2f} s   {full / floor:5.2f}x floor   (target <= 2.5x)")
    print(f"  (c) touched one file     {result['touched']:7.2f} s   {100 * result['touched'] / full:5.1f}% of full"
          f"   (target < 5%)")
    print(f"  (c') edited one file     {result['edited']:7.2f} s   {100 * result['edited'] / full:5.1f}% of full"
          f"   (name resolution is recomputed)")
    print(f"  (d) no change            {result['nochange']:7.2f} s   {100 * result['nochange'] / full:5.1f}% of full")
    print(f"  (e) peak memory          {result['peak']:7.0f} MiB (sum over the process tree, sampled; target < 2048)")
    return result


def rebuild_series(name: str, src: Path, count: int, work: Path) -> None:
    """One-file rebuilds in a row, as while editing one file: each commits to every evidence table, so anything
    that grows with a table's history (its Delta log, say) shows as the last rebuilds being slower than the
    first. The same file every time (the median grows out of the middle as comments are added)."""
    out = work / f"{name}-series"
    shutil.rmtree(out, ignore_errors=True)
    semc_build(src, out)
    target = _median_file(src)
    walls = []
    for _ in range(count):
        touch_one(src, target)
        walls.append(semc_build(src, out)[0])
    first, last = statistics.median(walls[:5]), statistics.median(walls[-5:])
    print(f"  (c'') {count} one-file rebuilds in a row: the first five {first:.2f} s, the last five {last:.2f} s"
          f" (medians; last / first {last / first:.2f})")


def _scip_documents(index: Path) -> set[str]:
    """The relative paths of the documents in a SCIP index (field 2 of scip.Index, whose field 1 is the path):
    a protobuf walk of those two fields, so that the benchmark needs no protobuf package."""
    data = index.read_bytes()

    def varint(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, pos

    def fields(pos: int, end: int):
        while pos < end:
            key, pos = varint(pos)
            wire = key & 7
            if wire == 0:
                _, pos = varint(pos)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            elif wire == 2:
                size, pos = varint(pos)
                yield key >> 3, pos, pos + size
                pos += size
            else:
                raise ValueError(f"wire type {wire} at byte {pos} of {index}")

    paths = set()
    for number, start, end in fields(0, len(data)):
        if number == 2:
            paths.update(data[s:e].decode() for n, s, e in fields(start, end) if n == 1)
    return paths


def _failure_reason(log: Path) -> str:
    """One line from scip-python's stderr: the first error line, the frame that raised it and the file being
    indexed if it says so; else its last line."""
    import re

    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if "error" in line.lower() and "Experienced Fatal Error" not in line and "create an issue" not in line:
            reason = line.removeprefix("error: ")
            frame = next((f for f in lines[i + 1:] if f.startswith("at ")), "")
            if frame:
                reason += " " + re.sub(r"\(/\S*/dist/", "(", frame)
            current = next((f for f in lines if f.startswith("currentFilepath:")), "")
            if current:
                reason += f" while indexing {current.split(':', 1)[1].strip().strip(',').strip(chr(39))}"
            return reason
    return lines[-1] if lines else "no output on stderr"


def _scip_python(django: Path, tools: Path, semc_full: float) -> float | None:
    """One scip-python index of all of django/; prints its line and returns its wall time if it succeeded.

    --project-version is required outside a git checkout: scip-python takes the version from pyproject.toml or
    `git rev-parse HEAD`, and with neither (an unpacked wheel has neither) it is undefined and 0.6.6 dies on the
    first module, in ScipSymbol.normalizeNameOrVersion (TypeError: Cannot read properties of undefined (reading
    'indexOf')), after about 80 s of analysis and having written a 69-byte index.
    """
    import json

    pinned = "0.6.6"
    npm_dir = tools / "npm"
    binary = npm_dir / "node_modules" / ".bin" / "scip-python"
    manifest = npm_dir / "node_modules" / "@sourcegraph" / "scip-python" / "package.json"
    installed = json.loads(manifest.read_text())["version"] if manifest.exists() else None
    if installed != pinned and shutil.which("npm"):
        npm_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(npm_dir), "--save-exact",
                        f"@sourcegraph/scip-python@{pinned}", "--silent"], check=False)
        installed = json.loads(manifest.read_text())["version"] if manifest.exists() else None
    label = f"scip-python {pinned}"
    if installed != pinned or not binary.exists():
        print(f"  (f) {label}: not installed (npm {'missing' if not shutil.which('npm') else 'install failed'});"
              f" not measured")
        return None
    index, log = tools / "index.scip", tools / "scip-python.stderr"
    index.unlink(missing_ok=True)
    version = django.name.removeprefix("django-")
    wall, peak, code = timed([str(binary), "index", "--project-name", "django", "--project-version", version,
                              "--output", str(index)], cwd=django, log=log)
    size = index.stat().st_size if index.exists() else 0
    if code != 0:
        print(f"  (f) {label:20} {wall:7.2f} s   peak {peak:6.0f} MiB   FAILED (exit {code}), index {size} bytes:"
              f" {_failure_reason(log)}")
        return None
    expected = {str(p.relative_to(django)) for p in py_files(django / "django")}
    try:
        indexed = _scip_documents(index)
    except (ValueError, IndexError) as error:
        print(f"  (f) {label:20} {wall:7.2f} s   peak {peak:6.0f} MiB   exit 0 but index {size} bytes is not a"
              f" readable SCIP index: {error}")
        return None
    print(f"  (f) {label:20} {wall:7.2f} s   peak {peak:6.0f} MiB   semc full build is "
          f"{wall / semc_full:4.1f}x faster (exit 0; index {size} bytes, {len(expected & indexed)} of "
          f"{len(expected)} files of django/ as documents)")
    for missing in sorted(expected - indexed):
        print(f"      not in the index: {missing} (scip-python wrote no document for it)")
    return wall


def peers(django: Path, cache: Path, semc_full: float) -> None:
    print("\n== peers on Django")
    tools = cache / "peers"
    venv = tools / "venv"
    if not (venv / "bin" / "pyan3").exists():
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pyan3==2.9.0"], check=True)
    files = [str(p) for p in py_files(django / "django")]
    wall, peak, code = timed([str(venv / "bin" / "pyan3"), *files, "--uses", "--no-defines", "--text"])
    status = "" if code == 0 else f" (exit {code})"
    print(f"  (f) pyan3 2.9.0          {wall:7.2f} s   peak {peak:6.0f} MiB   semc full build is "
          f"{wall / semc_full:4.1f}x faster{status}")
    _scip_python(django, tools, semc_full)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "semc-bench-cache"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--series", type=int, default=30, help="one-file rebuilds in a row on Django (under 10: none)")
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / "work"
    work.mkdir(exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; cache {cache}")
    stdlib = bench_corpus("stdlib", copy_stdlib(cache / "stdlib"), args.runs, work)
    django = django_source(cache)
    result = bench_corpus("django", django, args.runs, work)
    if args.series >= 10:
        rebuild_series("django", django, args.series, work)
    if not args.skip_peers:
        peers(django, cache, result["full"])
    del stdlib


if __name__ == "__main__":
    main()
