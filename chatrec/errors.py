"""One error hierarchy for the whole product: every error chatrec raises on purpose is a `ChatrecError`, and its
message says what to do. Callers (the page, the API, the CLI) catch `ChatrecError` once and show the message;
anything else is a bug and is logged with its traceback.

    ChatrecError
      InputError       bad input from a user or an API caller; the session is left unchanged
      CatalogError     a catalog that cannot be used, every problem listed
      ModelError       the model files cannot be prepared (which package or file to fix)
      FaultError       a fault outside the user's control (what to run or fix)
        EmbeddingModelError, StoreError > ServerDownError
      DataMissing      public evaluation data not found (where to put it)
      BenchError       a benchmark file that cannot be read

The builtin bases (ValueError, RuntimeError) stay beside it so `except ValueError` in callers keeps working."""
from __future__ import annotations


class ChatrecError(Exception):
    """Base of every deliberate chatrec error; the message names the fix."""


class InputError(ChatrecError, ValueError):
    """Bad input from a user or caller; the message says what to do. The session is left unchanged."""


class CatalogError(ChatrecError):
    """A catalog that cannot be used, with every problem listed."""


class ModelError(ChatrecError, RuntimeError):
    """The model cannot be prepared; the message says which package or file to fix."""


class FaultError(ChatrecError, RuntimeError):
    """A fault outside the user's control; the message says what to run or fix."""


class EmbeddingModelError(FaultError):
    """The sentence-transformers model is missing or damaged."""


class StoreError(FaultError):
    """The vector store failed (disk full, damaged folder, server error)."""


class ServerDownError(StoreError):
    """The Chroma server (CHATREC_CHROMA_HOST) does not answer at all."""


class DataMissing(ChatrecError, RuntimeError):
    """Public evaluation data is not where it should be; the message says where to put it."""


class BenchError(ChatrecError, ValueError):
    """A benchmark file that cannot be read; the message names the line."""
