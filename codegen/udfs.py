"""Resolve each declared UDF to the implementation the generated program will import.

`udf f(...) -> t from python "pkg.module:function"` names a user's vectorised Python function; a UDF with no
binding is provided by the runtime, as the module `runtime.udfs.<name>` (its `implementation`), which is also
the fallback when the Rust extension does not provide `f`. Both are imported here, at compile time, so a
missing implementation is a located error rather than a failed run, and so each UDF's implementation identity
can enter the plan fingerprints. `from rust "f"` names a UDF of the Rust extension alone: it is looked up at
run time, where a run without it stops before any view is registered.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from codegen.arrow_types import arrow_type
from dsl import codes
from dsl.diagnostics import Diagnostic, SpecError
from dsl.ir import Program, Udf
from runtime.plans import udf_identity
from runtime.program import UdfSource, UdfSpec

# A dotted module path, a colon, a function name: nothing else may reach an import statement.
_PYTHON_TARGET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")
RUNTIME_UDF_PACKAGE = "runtime.udfs"


@dataclass(frozen=True)
class ResolvedUdf:
    declaration: Udf
    module: str
    function: str
    spec: UdfSpec
    identity: str


def _target(udf: Udf) -> tuple[str, str, Diagnostic | None]:
    if udf.binding is None:
        return f"{RUNTIME_UDF_PACKAGE}.{udf.name}", "implementation", None
    if udf.binding.language == "rust":  # the checker has made sure it names the UDF itself
        return "", "", None
    if udf.binding.language != "python":
        message = f"UDF '{udf.name}' is bound to a {udf.binding.language} implementation, which this runtime cannot load"
        return "", "", Diagnostic(codes.UNKNOWN_UDF_IMPLEMENTATION, message, udf.binding.span,
                                  hint='bind it from python "package.module:function" or from rust "name"')
    if not _PYTHON_TARGET.match(udf.binding.target):
        message = f"'{udf.binding.target}' is not of the form package.module:function"
        return "", "", Diagnostic(codes.UNKNOWN_UDF_IMPLEMENTATION, message, udf.binding.span)
    module, function = udf.binding.target.split(":")
    return module, function, None


def _source(udf: Udf) -> UdfSource:
    if udf.binding is None:
        return UdfSource.RUNTIME
    return UdfSource.RUST if udf.binding.language == "rust" else UdfSource.PYTHON


def resolve_udfs(program: Program) -> tuple[ResolvedUdf, ...]:
    resolved, diagnostics = [], []
    for udf in sorted(program.udfs, key=lambda u: u.name):
        module, function, problem = _target(udf)
        implementation = None
        # A Rust UDF is not loaded here: the extension need not be built where specs are compiled.
        if problem is None and module:
            try:
                implementation = getattr(importlib.import_module(module), function)
            except (ImportError, AttributeError) as error:
                where = udf.binding.span if udf.binding else udf.span
                problem = Diagnostic(
                    codes.UNKNOWN_UDF_IMPLEMENTATION,
                    f"no implementation of UDF '{udf.name}': cannot import {module}:{function} ({error})",
                    where,
                    hint=None if udf.binding else f"the runtime provides UDFs as modules {RUNTIME_UDF_PACKAGE}.<name>",
                )
        if problem is not None:
            diagnostics.append(problem)
            continue
        spec = UdfSpec(
            udf.name,
            tuple(arrow_type(p.type) for p in udf.params),
            arrow_type(udf.returns),
            udf.volatility.value,
            implementation,
            _source(udf),
        )
        resolved.append(ResolvedUdf(udf, module, function, spec, udf_identity(spec)))
    if diagnostics:
        raise SpecError(diagnostics, {f.path: f.text for f in program.files})
    return tuple(resolved)
