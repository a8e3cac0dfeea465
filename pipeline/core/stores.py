"""What every SQL-backed store shares (ledger, review book, inbox registry, metrics, links):
it owns a connection pool, so it is used as a context manager and closed on the way out."""

from __future__ import annotations

from typing import Self


class ClosingStore:
    """``with Store(url) as store:`` closes the store's connections when the block ends."""

    def close(self) -> None:
        """Release the store's connections (each store disposes of its engine)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
