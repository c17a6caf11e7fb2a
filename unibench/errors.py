"""The project's exception types.

Expected failures (bad input, unknown names, misspelt config keys) raise :class:`UniBenchError` or a
subclass with one clear message; the CLI prints that message without a traceback. Anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class UniBenchError(Exception):
    """An expected failure with a message meant for the user."""


class RegistryError(UniBenchError, KeyError):
    """Unknown or duplicate registry name."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


class ConfigError(UniBenchError):
    """Unknown key, wrong type or unparsable value in a configuration layer."""


class DataError(UniBenchError):
    """A benchmark file is missing or malformed; the message names the file and what was expected."""


class CheckpointError(UniBenchError):
    """A checkpoint cannot be loaded safely or does not fit the model."""
