"""The semc runtime: runs a generated program over a source tree and writes its outputs to Delta Lake."""

from runtime.build import RunReport, build, session_for
from runtime.program import load_program

__all__ = ["RunReport", "build", "load_program", "session_for"]
