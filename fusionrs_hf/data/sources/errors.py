from __future__ import annotations


class SourceError(ValueError):
    """A whole source cannot be read (missing file, malformed JSON): names the file and the problem."""
