"""Source files as the extractors see them: read once, by the runtime, with read failures kept as data."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from runtime.discovery import DiscoveredFile

# Files larger than this are reported, not parsed: generated blobs of that size are not code anyone reads, and
# one of them can hold a worker for minutes. `semc build --max-file-size` changes it.
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    file_id: str  # path relative to the build root, POSIX separators
    path: Path
    module: str  # dotted module name from the relative path
    data: bytes | None  # None when the file could not be read
    read_error: str | None
    # Why data is None: unreadable, vanished, changed, too-large or not-regular (the diagnostics code).
    read_code: str = "unreadable"
    sha256: str | None = None
    # Per-file results shared between extractors in one worker (the parsed tree): dropped with the file, so a
    # worker holds one file's tree at a time.
    memo: dict = field(default_factory=dict, compare=False, repr=False, hash=False)


def line_starts(data: bytes) -> list[int]:
    """Byte offset of each line's start. Like Python's tokenizer, \\r\\n, a lone \\r and \\n all end a line."""
    starts = [0]
    index, size = 0, len(data)
    while True:
        newline = data.find(b"\n", index)
        carriage = data.find(b"\r", index, newline if newline >= 0 else size)
        if carriage >= 0:  # a \r before the next \n: either \r\n or a lone \r
            end = carriage + 2 if data[carriage + 1 : carriage + 2] == b"\n" else carriage + 1
        elif newline >= 0:
            end = newline + 1
        else:
            return starts
        starts.append(end)
        index = end


def line_count(data: bytes) -> int:
    starts = line_starts(data)
    return len(starts) - (1 if starts[-1] == len(data) else 0)


def module_name(relative: str) -> str:
    parts = relative[: -len(".py")].split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _failed(entry: DiscoveredFile, code: str, message: str) -> SourceFile:
    return SourceFile(entry.file_id, entry.path, module_name(entry.file_id), None, message, code)


def read_file(entry: DiscoveredFile, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> SourceFile:
    """Read one discovered file, turning every way reading can go wrong into a coded SourceFile.

    The file must still be the one discovery saw (same size and mtime) and must not change while it is read:
    otherwise its evidence would describe a file that never existed as a whole.
    """
    try:
        # O_NONBLOCK: opening a FIFO named *.py must not wait for a writer that never comes.
        fd = os.open(entry.path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        if not os.path.lexists(entry.path):  # gone, rather than a link to nothing
            return _failed(entry, "vanished", "the file was deleted during the build")
        return _failed(entry, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
    except OSError as exc:
        return _failed(entry, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return _failed(entry, "not-regular", "not a regular file (a FIFO, socket or device)")
        if before.st_size > max_bytes:
            return _failed(
                entry, "too-large", f"{before.st_size} bytes, over the {max_bytes}-byte limit for one file"
            )
        if entry.size >= 0 and (before.st_size, before.st_mtime_ns) != (entry.size, entry.mtime_ns):
            return _failed(entry, "changed", "the file changed during the build; the next build includes it")
        chunks, remaining = [], before.st_size + 1  # one byte more than expected reveals growth
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        after = os.fstat(fd)
    except OSError as exc:
        return _failed(entry, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) != before.st_size or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        return _failed(entry, "changed", "the file changed while it was read; the next build includes it")
    digest = hashlib.sha256(data).hexdigest()
    return SourceFile(entry.file_id, entry.path, module_name(entry.file_id), data, None, sha256=digest)


def read_source(root: Path, path: Path) -> SourceFile:
    """Read one path under root without a discovery record (no change check against an earlier stat)."""
    relative = path.name if root.is_file() else path.relative_to(root).as_posix()
    return read_file(DiscoveredFile(relative, path, -1, -1))
