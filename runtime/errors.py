"""The runtime's user-facing errors: the CLI prints them as `semc: error: ...`, never as a traceback."""


class SemcError(Exception):
    """Something about the user's input, program or environment that the user can fix."""
