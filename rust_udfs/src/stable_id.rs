//! `stable_id(p0, p1, p2, p3) -> string`: a fixed hash of four string parts.
//!
//! SHA-256 over the tag `semc:stable_id:v1`, then for each part in order either the byte 0x00 (null) or
//! the byte 0x01, the part's UTF-8 length as 8 bytes big-endian, and its UTF-8 bytes. The result is the
//! first 16 bytes of the digest as 32 lowercase hex characters; it is never null. Length prefixes make
//! ("ab", "c") and ("a", "bc") differ; the null marker makes null and "" differ.

use std::sync::Arc;

use arrow::array::{Array, StringBuilder};
use arrow::datatypes::DataType;
use datafusion_common::Result;
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use sha2::{Digest, Sha256};

use crate::args::{arrays, exact_types, result, strings};

pub const TAG: &[u8] = b"semc:stable_id:v1";
const PARTS: usize = 4;
const HEX: &[u8; 16] = b"0123456789abcdef";

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StableId {
    signature: Signature,
}

impl StableId {
    pub fn new() -> Self {
        Self { signature: Signature::exact(vec![DataType::Utf8; PARTS], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for StableId {
    fn name(&self) -> &str {
        "stable_id"
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
        let parts: Vec<_> = columns.iter().map(strings).collect();
        let mut out = StringBuilder::with_capacity(rows, rows * 32);
        let mut hex = [0u8; 32];
        for row in 0..rows {
            let mut hasher = Sha256::new();
            hasher.update(TAG);
            for part in &parts {
                if part.is_null(row) {
                    hasher.update([0u8]);
                } else {
                    let bytes = part.value(row).as_bytes();
                    hasher.update([1u8]);
                    hasher.update((bytes.len() as u64).to_be_bytes());
                    hasher.update(bytes);
                }
            }
            let digest = hasher.finalize();
            for (i, byte) in digest[..16].iter().enumerate() {
                hex[2 * i] = HEX[(byte >> 4) as usize];
                hex[2 * i + 1] = HEX[(byte & 0x0f) as usize];
            }
            out.append_value(std::str::from_utf8(&hex).expect("hex is ASCII"));
        }
        result(Arc::new(out.finish()))
    }
}
