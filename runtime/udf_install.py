"""Install a program's UDFs in the run's session before any view registers, and prove each plan has its UDFs.

Which UDFs exist, and their signatures, come from the compiled program. A runtime UDF (declared without a
binding) gets the Rust extension's implementation when the extension is built and provides it, and its Python
fallback otherwise; a `from rust` UDF gets the Rust one or nothing; a `from python` UDF gets the user's function.
"""

from __future__ import annotations

from dataclasses import dataclass

from datafusion import udf

from runtime.context import ExecutionContext
from runtime.errors import SemcError
from runtime.plans import scalar_udf
from runtime.program import UdfSource, UdfSpec
from runtime.rust_udfs import EXTENSION_MODULE, RustExtension, check_signature, load_extension


class UdfUnavailableError(SemcError):
    """A view calls a UDF that is not installed in the session."""


@dataclass(frozen=True)
class UdfInstallation:
    """What a run installed, for its report."""

    implementations: dict[str, str]  # UDF -> "rust semc_udfs" | "python fallback module:function" | ...
    extension: str  # the Rust extension's status: loaded from where, not built, or disabled


def _python_name(spec: UdfSpec) -> str:
    return f"{spec.implementation.__module__}:{spec.implementation.__qualname__}"


def _choose(spec: UdfSpec, extension: RustExtension):
    """(the object to register, how the run report names it), or None when there is no implementation."""
    rust_udf = extension.udfs.get(spec.name) if spec.source is not UdfSource.PYTHON else None
    if rust_udf is not None:
        check_signature(spec, rust_udf)
        return udf(rust_udf), f"rust {EXTENSION_MODULE}"
    if spec.implementation is None:
        return None
    kind = "python fallback" if spec.source is UdfSource.RUNTIME else "python"
    return scalar_udf(spec), f"{kind} {_python_name(spec)}"


def install_udfs(context: ExecutionContext, extension: RustExtension | None = None) -> UdfInstallation:
    """Register every declared UDF; returns which implementation each one got, for the run report.

    Raises UdfUnavailableError, having registered nothing, when some UDF has no implementation here.
    """
    extension = extension or load_extension()
    chosen = {spec.name: _choose(spec, extension) for spec in context.program.udfs}
    missing = sorted(name for name, choice in chosen.items() if choice is None)
    if missing:
        raise UdfUnavailableError(
            f"no implementation of UDF {', '.join(missing)}: declared `from rust`, and the Rust extension "
            f"does not provide it ({extension.status}); no view was registered"
        )
    for scalar, _ in chosen.values():
        context.session.register_udf(scalar)
    return UdfInstallation({name: how for name, (_, how) in chosen.items()}, extension.status)


def check_required_udfs(context: ExecutionContext) -> None:
    available = set(context.session.udfs())
    missing = sorted(
        (view.name, name) for view in context.program.views for name in view.required_udfs if name not in available
    )
    if missing:
        listed = ", ".join(f"{udf} (needed by {view})" for view, udf in missing)
        raise UdfUnavailableError(f"UDFs not installed before the views that call them: {listed}")
