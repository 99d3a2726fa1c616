"""The .sem language: grammar, parser, IR, checker and diagnostics. Imports nothing else of semc."""
