//! Arguments of a UDF call as arrays of the exact types its signature declares.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use datafusion_common::{exec_err, Result};
use datafusion_expr::{ColumnarValue, Signature, TypeSignature};

/// Every argument expanded to an array of `rows` values (scalars are repeated).
pub fn arrays(args: &[ColumnarValue], rows: usize, expected: &[DataType]) -> Result<Vec<ArrayRef>> {
    if args.len() != expected.len() {
        return exec_err!("expected {} arguments, got {}", expected.len(), args.len());
    }
    args.iter()
        .zip(expected)
        .map(|(arg, want)| {
            let array = arg.to_array(rows)?;
            if array.data_type() == want {
                Ok(array)
            } else {
                Ok(cast(&array, want)?)
            }
        })
        .collect()
}

pub fn strings(array: &ArrayRef) -> &StringArray {
    array.as_string::<i32>()
}

pub fn int64s(array: &ArrayRef) -> &Int64Array {
    array.as_primitive::<Int64Type>()
}

pub fn result(array: ArrayRef) -> Result<ColumnarValue> {
    Ok(ColumnarValue::Array(Arc::clone(&array)))
}

/// The argument types of a signature built with `Signature::exact`.
pub fn exact_types(signature: &Signature) -> &[DataType] {
    match &signature.type_signature {
        TypeSignature::Exact(types) => types,
        _ => &[],
    }
}
