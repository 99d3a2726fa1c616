"""Render the file models through Jinja templates and format them with pinned black, explicitly configured."""

from __future__ import annotations

from typing import Mapping

import black
import jinja2

from codegen.model import BuilderModel, ProgramModel

# Explicit settings: the output must not depend on any pyproject.toml black might otherwise discover.
BLACK_MODE = black.Mode(
    target_versions={black.TargetVersion.PY311},
    line_length=100,
    string_normalization=True,
    magic_trailing_comma=True,
)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("codegen", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pyrepr"] = repr
    env.filters["dictrepr"] = lambda items: repr(dict(items))
    return env


def format_python(source: str) -> str:
    return black.format_str(source, mode=BLACK_MODE).replace("\r\n", "\n")


def render_views(builders: tuple[BuilderModel, ...], specs_label: str) -> str:
    return format_python(_environment().get_template("views.py.j2").render(builders=builders, specs_label=specs_label))


def render_package(model: ProgramModel, views_source: str) -> Mapping[str, str]:
    """Every file of the generated package, by name."""
    env = _environment()
    files = {"views.py": views_source}
    for name in ("__init__.py", "schemas.py", "manifest.py", "program.py"):
        files[name] = format_python(env.get_template(f"{name}.j2").render(m=model, specs_label=model.specs_label))
    return dict(sorted(files.items()))
