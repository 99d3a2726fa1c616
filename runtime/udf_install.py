"""Install a program's UDFs in the run's session before any view registers, and prove each plan has its UDFs."""

from __future__ import annotations

from runtime.context import ExecutionContext
from runtime.errors import SemcError
from runtime.plans import scalar_udf


class UdfUnavailableError(SemcError):
    """A view calls a UDF that is not installed in the session."""


def install_udfs(context: ExecutionContext) -> dict[str, str]:
    """Register every declared UDF; returns {name: implementation} for the run report."""
    installed = {}
    for spec in context.program.udfs:
        context.session.register_udf(scalar_udf(spec))
        installed[spec.name] = f"python {spec.implementation.__module__}:{spec.implementation.__qualname__}"
    return installed


def check_required_udfs(context: ExecutionContext) -> None:
    available = set(context.session.udfs())
    missing = sorted(
        (view.name, name) for view in context.program.views for name in view.required_udfs if name not in available
    )
    if missing:
        listed = ", ".join(f"{udf} (needed by {view})" for view, udf in missing)
        raise UdfUnavailableError(f"UDFs not installed before the views that call them: {listed}")
