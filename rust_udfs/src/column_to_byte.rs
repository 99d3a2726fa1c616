//! `column_to_byte(line_text, column, encoding) -> int64`: the UTF-8 byte offset in `line_text` of a 0-based
//! column counted in `encoding` units: "utf-8" (bytes), "utf-16" (code units; an astral character counts 2) or
//! "utf-32" (code points). The column may equal the line's length (the end of the line).
//! Null when any argument is null, the encoding is not one of those three exact names, the column is negative
//! or beyond the end of the line, or it does not fall on a character boundary (inside a multi-byte UTF-8
//! sequence, or between the two halves of a UTF-16 surrogate pair).

use std::sync::Arc;

use arrow::array::{Array, Int64Builder};
use arrow::datatypes::DataType;
use datafusion_common::Result;
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use crate::args::{arrays, exact_types, int64s, result, strings};

#[derive(Debug, Clone, Copy)]
enum Unit {
    Utf8,
    Utf16,
    Utf32,
}

impl Unit {
    fn parse(name: &str) -> Option<Unit> {
        match name {
            "utf-8" => Some(Unit::Utf8),
            "utf-16" => Some(Unit::Utf16),
            "utf-32" => Some(Unit::Utf32),
            _ => None,
        }
    }

    fn width(self, ch: char) -> i64 {
        match self {
            Unit::Utf8 => ch.len_utf8() as i64,
            Unit::Utf16 => ch.len_utf16() as i64,
            Unit::Utf32 => 1,
        }
    }
}

fn byte_offset(line: &str, column: i64, unit: Unit) -> Option<i64> {
    if column < 0 {
        return None;
    }
    if line.is_ascii() {
        return (column <= line.len() as i64).then_some(column);
    }
    let mut units = 0i64;
    for (byte, ch) in line.char_indices() {
        if units == column {
            return Some(byte as i64);
        }
        units += unit.width(ch);
        if units > column {
            return None;
        }
    }
    (units == column).then_some(line.len() as i64)
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ColumnToByte {
    signature: Signature,
}

impl ColumnToByte {
    pub fn new() -> Self {
        let types = vec![DataType::Utf8, DataType::Int64, DataType::Utf8];
        Self { signature: Signature::exact(types, Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for ColumnToByte {
    fn name(&self) -> &str {
        "column_to_byte"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let columns = arrays(&args.args, rows, exact_types(&self.signature))?;
        let (lines, cols, encodings) = (strings(&columns[0]), int64s(&columns[1]), strings(&columns[2]));
        let mut out = Int64Builder::with_capacity(rows);
        for row in 0..rows {
            let value = if lines.is_null(row) || cols.is_null(row) || encodings.is_null(row) {
                None
            } else {
                Unit::parse(encodings.value(row)).and_then(|unit| byte_offset(lines.value(row), cols.value(row), unit))
            };
            out.append_option(value);
        }
        result(Arc::new(out.finish()))
    }
}
