"""Extractors: each module here is named after the extractor a .sem dataset binds to, and exposes
`extract(source, datasets) -> {dataset: {column: [values]}}` for one file. The compiler checks that a module
exists for every extractor the specs name; the generated program imports exactly those it needs."""
