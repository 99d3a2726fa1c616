"""The Rust UDF extension (`semc_udfs`, built from rust_udfs/): whether it loads, and what it provides.

Set SEMC_RUST_UDFS=0 to run without it (every runtime UDF then uses its Python fallback).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import datafusion
import pyarrow as pa

from runtime.errors import SemcError
from runtime.program import UdfSpec

EXTENSION_MODULE = "semc_udfs"
DISABLE_VARIABLE = "SEMC_RUST_UDFS"


class RustUdfMismatchError(SemcError):
    """The Rust extension's UDF does not have the signature the specs declare, or was built for another DataFusion."""


@dataclass(frozen=True)
class RustExtension:
    status: str  # for the run report: loaded (and from where), disabled, or why it is not available
    udfs: Mapping[str, Any] = field(default_factory=dict)  # name -> object accepted by datafusion.udf(...)

    @property
    def loaded(self) -> bool:
        return bool(self.udfs)


def load_extension(environ: Mapping[str, str] = os.environ) -> RustExtension:
    if environ.get(DISABLE_VARIABLE, "1") == "0":
        return RustExtension(f"disabled ({DISABLE_VARIABLE}=0)")
    try:
        module = importlib.import_module(EXTENSION_MODULE)
    except ImportError as error:
        return RustExtension(f"not built ({error}); build it with ./dev")
    wheel_major = int(datafusion.__version__.split(".")[0])
    if module.DATAFUSION_FFI_MAJOR != wheel_major:
        raise RustUdfMismatchError(
            f"{EXTENSION_MODULE} was built against datafusion-ffi {module.DATAFUSION_FFI_MAJOR}, but the datafusion "
            f"package is {datafusion.__version__}: rebuild rust_udfs/ with datafusion-ffi {wheel_major}"
        )
    return RustExtension(f"{EXTENSION_MODULE} loaded from {module.__file__}", {u.name: u for u in module.udfs()})


def _arrow_type(exported) -> pa.DataType:
    return pa.field(exported).type


def check_signature(spec: UdfSpec, rust_udf) -> None:
    """The Rust UDF must take and return exactly what the declaration says, or plans would differ."""
    inputs = tuple(_arrow_type(t) for t in rust_udf.input_types)
    returns = _arrow_type(rust_udf.return_type)
    if inputs != spec.input_types or returns != spec.return_type or rust_udf.volatility != spec.volatility:

        def shown(types, result, volatility):
            return f"({', '.join(map(str, types))}) -> {result} {volatility}"

        raise RustUdfMismatchError(
            f"the Rust UDF '{spec.name}' is {shown(inputs, returns, rust_udf.volatility)}, but the specs declare "
            f"{shown(spec.input_types, spec.return_type, spec.volatility)}; change the declaration or rust_udfs/"
        )
