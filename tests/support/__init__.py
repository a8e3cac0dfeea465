"""Shared test helpers: generated media, fakes, plans and paths."""
