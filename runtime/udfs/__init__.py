"""UDFs the runtime provides: a module per UDF name, exposing `implementation(*arrays) -> pyarrow.Array`.

A `udf NAME(...) -> T` declaration without a binding resolves to `runtime.udfs.NAME`. When the Rust extension
(`semc_udfs`, built from rust_udfs/) provides a UDF of the same name, the runtime installs that one instead; each
module here is the vectorised Python fallback and gives the same result for every input, bit for bit (the
property tests in tests/test_rust_udfs.py compare the two).
"""
