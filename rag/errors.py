"""The library's errors: one base class, a handful of kinds the server maps to HTTP codes."""


class RagError(Exception):
    """Base class of every expected error; its message is fit to show a user as it is."""


class ConfigError(RagError):
    """The settings or arguments are unusable (unknown model, bad folder, bad value)."""


class IndexMissingError(RagError):
    """No index has been built in the index folder yet."""


class IndexMismatchError(RagError):
    """The index was built with another model or format than the one configured."""


class IndexCorruptError(RagError):
    """An index file is damaged or disagrees with the rest of the index."""


class StoreUnavailableError(RagError):
    """The index's store (a Milvus server) can't be reached or fails; the server answers 503 until it is back."""


class IndexBusyError(RagError):
    """Another process is building this index."""


class DocumentError(RagError):
    """A document can't be stored or read (unsupported type, too big, unknown id)."""


class DocumentNotFoundError(DocumentError):
    """No document has the given id."""


class StorageFullError(RagError):
    """The disk is full: the index or the documents folder can't be written (the previous index keeps serving)."""


class BuildCancelledError(RagError):
    """A build was cancelled before it published anything; the previous index serves on."""
