"""Sandbox routes for youtube (placeholder)."""

from __future__ import annotations

from fastapi import FastAPI

from pipeline.publish.sandbox import SandboxState


def add_routes(app: FastAPI, state: SandboxState) -> None:
    return None
