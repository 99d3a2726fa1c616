"""Render the file models through Jinja templates and format them with pinned black, explicitly configured."""

from __future__ import annotations

from typing import Mapping

import jinja2

from codegen.formatting import FormatCache, format_module
from codegen.model import BuilderModel, ProgramModel


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


def render_views(builders: tuple[BuilderModel, ...], specs_label: str, cache: FormatCache | None = None) -> str:
    source = _environment().get_template("views.py.j2").render(builders=builders, specs_label=specs_label)
    return format_module(source, cache)


def render_package(model: ProgramModel, views_source: str, cache: FormatCache | None = None) -> Mapping[str, str]:
    """Every file of the generated package, by name."""
    env = _environment()
    files = {"views.py": views_source}
    for name in ("__init__.py", "schemas.py", "manifest.py", "program.py"):
        source = env.get_template(f"{name}.j2").render(m=model, specs_label=model.specs_label)
        files[name] = format_module(source, cache)
    return dict(sorted(files.items()))
