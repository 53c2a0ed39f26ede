"""The library's error hierarchy. The CLI maps these to exit codes, the UI to friendly text."""


class ChatbotError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(ChatbotError):
    """Settings are inconsistent or an optional dependency is missing."""


class LoaderError(ChatbotError):
    """A knowledge file could not be read or failed validation."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class QuarantineError(LoaderError):
    """A knowledge file broke a parsing limit (size, time, memory): it is moved to knowledge/_quarantine/."""


class EmbeddingMismatchError(ChatbotError):
    """The store was built with a different embedding model than the one configured."""


class StoreUnavailableError(ChatbotError):
    """The vector store cannot be opened (locked, corrupt, server down)."""


class IngestBusyError(ChatbotError):
    """Another ingest is running on the same data directory."""


class DeskError(ChatbotError):
    """A desk action that cannot be done (ticket taken, not yours, blocked draft); message in Chinese."""


class CaseError(ChatbotError):
    """An evaluation case file holds a line that is not a valid case (the message names the line)."""


class CallbackError(ChatbotError):
    """A callback request that cannot be stored (no consent, not a phone number, no open ticket); Chinese."""
