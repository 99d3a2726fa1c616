//! semc's scalar UDFs for DataFusion, exported to the `datafusion` Python package through datafusion-ffi.
//!
//! `semc_udfs.udfs()` returns one `RustUdf` per function. Each is accepted by `datafusion.udf(...)` (it has
//! `__datafusion_scalar_udf__`) and describes its own signature, so the runtime can check it against the
//! declaration in the specs before installing it. Python fallbacks with identical results live in
//! `runtime/udfs/`.

mod args;
mod column_to_byte;
mod qualname;
mod spans;
mod stable_id;

use std::sync::Arc;

use arrow::datatypes::DataType;
use arrow::ffi::FFI_ArrowSchema;
use datafusion_expr::{ScalarUDF, ScalarUDFImpl, Volatility};
use datafusion_ffi::udf::FFI_ScalarUDF;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// An Arrow data type that pyarrow can import: `pyarrow.field(t).type`.
#[pyclass(frozen, module = "semc_udfs")]
struct ArrowType(DataType);

#[pymethods]
impl ArrowType {
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(&self.0).map_err(|e| PyValueError::new_err(e.to_string()))?;
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }

    fn __repr__(&self) -> String {
        format!("ArrowType({})", self.0)
    }
}

/// One scalar UDF, ready for `datafusion.udf(...)`.
#[pyclass(frozen, module = "semc_udfs")]
struct RustUdf(Arc<ScalarUDF>);

#[pymethods]
impl RustUdf {
    #[getter]
    fn name(&self) -> &str {
        self.0.name()
    }

    /// The argument types, in order.
    #[getter]
    fn input_types(&self) -> Vec<ArrowType> {
        args::exact_types(self.0.signature()).iter().cloned().map(ArrowType).collect()
    }

    #[getter]
    fn return_type(&self) -> PyResult<ArrowType> {
        let inputs = args::exact_types(self.0.signature());
        self.0.return_type(inputs).map(ArrowType).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// "immutable", "stable" or "volatile", as in the .sem language.
    #[getter]
    fn volatility(&self) -> &'static str {
        match self.0.signature().volatility {
            Volatility::Immutable => "immutable",
            Volatility::Stable => "stable",
            Volatility::Volatile => "volatile",
        }
    }

    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let udf = FFI_ScalarUDF::from(Arc::clone(&self.0));
        PyCapsule::new_with_value(py, udf, c"datafusion_scalar_udf")
    }

    fn __repr__(&self) -> String {
        format!("RustUdf({})", self.0.name())
    }
}

fn rust_udf(implementation: impl ScalarUDFImpl + 'static) -> RustUdf {
    RustUdf(Arc::new(ScalarUDF::new_from_impl(implementation)))
}

/// Every UDF this extension provides.
#[pyfunction]
fn udfs() -> Vec<RustUdf> {
    vec![
        rust_udf(stable_id::StableId::new()),
        rust_udf(spans::SpanUdf::new(spans::SpanTest::Overlaps)),
        rust_udf(spans::SpanUdf::new(spans::SpanTest::Contains)),
        rust_udf(column_to_byte::ColumnToByte::new()),
        rust_udf(qualname::NormalizeQualname::new()),
    ]
}

#[pymodule]
fn semc_udfs(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<RustUdf>()?;
    module.add_class::<ArrowType>()?;
    module.add_function(wrap_pyfunction!(udfs, module)?)?;
    // The datafusion-ffi major version this extension was built against; it must equal the wheel's.
    module.add("DATAFUSION_FFI_MAJOR", 55)?;
    module.add("STABLE_ID_TAG", std::str::from_utf8(stable_id::TAG).expect("ASCII tag"))?;
    Ok(())
}
