"""Run extraction jobs over a process pool (or in this process, when there is little to do), streaming each
chunk's result back as it completes."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from typing import Callable

from runtime.discovery import DiscoveredFile
from runtime.extract_worker import ChunkResult, ExtractJob, call, run_job

# Starting workers costs about a second; below this much source, one process finishes sooner.
POOL_MIN_BYTES = 4 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
CHUNK_FILES = 64


def chunks(files: list[DiscoveredFile]) -> list[tuple[DiscoveredFile, ...]]:
    """Groups of files of about CHUNK_BYTES, each a run of consecutive file ids, largest groups first.

    Consecutive ids give every part file a narrow file_id range, so that replacing one file's evidence skips
    all other part files by their statistics; handing out the largest groups first keeps both workers busy
    to the end.
    """
    ordered = sorted(files, key=lambda f: f.file_id)
    out, current, size = [], [], 0
    for entry in ordered:
        current.append(entry)
        size += max(entry.size, 0)
        if size >= CHUNK_BYTES or len(current) >= CHUNK_FILES:
            out.append(tuple(current))
            current, size = [], 0
    if current:
        out.append(tuple(current))
    return sorted(out, key=lambda chunk: -sum(max(f.size, 0) for f in chunk))


def run_jobs(jobs: list[ExtractJob], workers: int, on_done: Callable[[ExtractJob, ChunkResult], None]) -> None:
    total = sum(max(f.size, 0) for job in jobs for f in job.files)
    if workers <= 1 or total < POOL_MIN_BYTES or len(jobs) < 2:
        for job in jobs:
            on_done(job, run_job(job))
        return
    todo: queue.Queue = queue.Queue()
    for job in jobs:
        todo.put(job)
    results: queue.Queue = queue.Queue()
    count = min(workers, len(jobs))
    threads = [threading.Thread(target=_feed, args=(todo, results), daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()

    try:
        for _ in range(len(jobs)):
            job, result, error = results.get()
            if error is not None:
                raise error
            on_done(job, result)
    finally:
        while not todo.empty():  # stop the feeders on error: they exit when the queue runs dry
            try:
                todo.get_nowait()
            except queue.Empty:
                break
        for thread in threads:
            thread.join()



def _feed(todo: queue.Queue, results: queue.Queue) -> None:
    """Drive one worker process: send it jobs until none are left."""
    # A fresh interpreter running only the worker loop: unlike multiprocessing's spawn it never re-imports the
    # caller's __main__, so a script calling runtime.build needs no `if __name__ == "__main__"` guard.
    process = subprocess.Popen([sys.executable, "-c", "from runtime.extract_worker import serve; serve()"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_worker_env())
    try:
        while True:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                break
            try:
                result = call(process, job)
                results.put((job, result, None))
            except BaseException as error:  # noqa: BLE001 - handed to the main thread, which raises it
                results.put((job, None, error))
                break
    finally:
        process.stdin.close()
        process.wait()


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env
