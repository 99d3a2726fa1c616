"""UDFs the runtime provides: a module per UDF name, exposing `implementation(*arrays) -> pyarrow.Array`.

A `udf NAME(...) -> T` declaration without a `from python "..."` binding resolves to `runtime.udfs.NAME`.
"""
