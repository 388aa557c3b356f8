"""Dialogue state: what one session has said, the result of reading a message, the one place state changes, the
feedback log."""
