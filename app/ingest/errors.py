"""What can be wrong with a source file, one exception each, with a message a user can act on."""

from __future__ import annotations


class DocumentError(ValueError):
    """A source file that cannot become text; the message names the file and what to do."""


class UnsupportedFormat(DocumentError):
    pass


class EmptyDocument(DocumentError):
    pass


class CorruptDocument(DocumentError):
    pass


class NoTextLayer(DocumentError):
    pass
