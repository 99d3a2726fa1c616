//! `normalize_qualname(qualname) -> string`: a Python `__qualname__` in the dotted form call-graph tools use.
//!
//! The name is split on "."; every segment that is exactly `<locals>` is dropped and the rest are joined with
//! "." again (`f.<locals>.g` -> `f.g`, `<locals>` -> ""). Every other segment is kept as it is, including
//! `<lambda>`, `<genexpr>`, empty segments (`a..b` stays `a..b`) and surrounding spaces. Null gives null.

use std::sync::Arc;

use arrow::array::{Array, StringBuilder};
use arrow::datatypes::DataType;
use datafusion_common::Result;
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use crate::args::{arrays, exact_types, result, strings};

const LOCALS: &str = "<locals>";

fn normalize(qualname: &str, into: &mut String) {
    into.clear();
    for (i, segment) in qualname.split('.').filter(|s| *s != LOCALS).enumerate() {
        if i > 0 {
            into.push('.');
        }
        into.push_str(segment);
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NormalizeQualname {
    signature: Signature,
}

impl NormalizeQualname {
    pub fn new() -> Self {
        Self { signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for NormalizeQualname {
    fn name(&self) -> &str {
        "normalize_qualname"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let columns = arrays(&args.args, rows, exact_types(&self.signature))?;
        let names = strings(&columns[0]);
        let mut out = StringBuilder::with_capacity(rows, names.value_data().len());
        let mut buffer = String::new();
        for row in 0..rows {
            if names.is_null(row) {
                out.append_null();
                continue;
            }
            let name = names.value(row);
            if name.contains(LOCALS) {
                normalize(name, &mut buffer);
                out.append_value(&buffer);
            } else {
                out.append_value(name);
            }
        }
        result(Arc::new(out.finish()))
    }
}
