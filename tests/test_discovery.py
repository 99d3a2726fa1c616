"""Which files a build sees: .py files, minus tool folders, virtualenvs and top-level build output."""

from __future__ import annotations

import os

from runtime.discovery import discover
from runtime.source import module_name


def _touch(root, *paths):
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")


def test_discovery_skips_tool_folders_and_virtualenvs_but_not_packages_named_like_them(tmp_path):
    _touch(
        tmp_path,
        "app/__init__.py",
        "app/env/settings.py",  # a package called env is source
        "app/build/steps.py",  # so is a nested package called build
        "build/lib/app/__init__.py",  # top-level build output is not
        "dist/x.py",
        ".git/hooks/x.py",
        "app/__pycache__/x.py",
        "myvenv/lib/python3.11/site-packages/dep.py",
        "myvenv/pyvenv.cfg",
        "notes.txt",
    )
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["app/__init__.py", "app/build/steps.py", "app/env/settings.py"]


def test_symlink_loops_do_not_hang_the_walk(tmp_path):
    _touch(tmp_path, "pkg/a.py")
    os.symlink(tmp_path, tmp_path / "pkg" / "loop")
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)] == ["pkg/a.py"]


def test_module_names_follow_python_packages():
    assert module_name("pkg/mod.py") == "pkg.mod"
    assert module_name("pkg/__init__.py") == "pkg"
    assert module_name("__init__.py") == "__init__"
    assert module_name("main.py") == "main"


def test_linked_files_are_listed_but_linked_folders_are_not_entered(tmp_path):
    _touch(tmp_path, "pkg/a.py", "shared/b.py")
    os.symlink(tmp_path / "pkg" / "a.py", tmp_path / "pkg" / "alias.py")
    os.symlink(tmp_path / "shared", tmp_path / "pkg" / "linked.py")  # a folder, whatever its name says
    os.symlink(tmp_path / "pkg" / "self.py", tmp_path / "pkg" / "self.py")  # a link to itself: read reports it
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["pkg/a.py", "pkg/alias.py", "pkg/self.py", "shared/b.py"]
