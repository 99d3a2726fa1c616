//! Half-open byte spans `[start, end)`: `span_overlaps` and `span_contains`. Any null argument gives null.
//!
//! `span_overlaps(a_start, a_end, b_start, b_end)`: the spans share at least one byte,
//! `max(a_start, b_start) < min(a_end, b_end)`; an empty or inverted span overlaps nothing.
//! `span_contains(outer_start, outer_end, inner_start, inner_end)`:
//! `outer_start <= inner_start <= inner_end <= outer_end`; an inverted span contains and is contained by nothing,
//! an empty inner span is contained when its position lies within the outer span (ends included).

use std::sync::Arc;

use arrow::array::{Array, BooleanArray};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::datatypes::DataType;
use datafusion_common::Result;
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use crate::args::{arrays, exact_types, int64s, result};

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
pub enum SpanTest {
    Overlaps,
    Contains,
}

impl SpanTest {
    fn holds(self, a_start: i64, a_end: i64, b_start: i64, b_end: i64) -> bool {
        match self {
            SpanTest::Overlaps => a_start.max(b_start) < a_end.min(b_end),
            SpanTest::Contains => a_start <= b_start && b_start <= b_end && b_end <= a_end,
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SpanUdf {
    test: SpanTest,
    signature: Signature,
}

impl SpanUdf {
    pub fn new(test: SpanTest) -> Self {
        Self { test, signature: Signature::exact(vec![DataType::Int64; 4], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for SpanUdf {
    fn name(&self) -> &str {
        match self.test {
            SpanTest::Overlaps => "span_overlaps",
            SpanTest::Contains => "span_contains",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let columns = arrays(&args.args, rows, exact_types(&self.signature))?;
        let [a0, a1, b0, b1] = [0, 1, 2, 3].map(|i| int64s(&columns[i]));
        let (a0v, a1v, b0v, b1v) = (a0.values(), a1.values(), b0.values(), b1.values());
        let values = BooleanBuffer::collect_bool(rows, |i| self.test.holds(a0v[i], a1v[i], b0v[i], b1v[i]));
        let nulls = [a1, b0, b1]
            .iter()
            .fold(a0.nulls().cloned(), |acc, column| NullBuffer::union(acc.as_ref(), column.nulls()));
        result(Arc::new(BooleanArray::new(values, nulls)))
    }
}
