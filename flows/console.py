"""The consoles every command prints through: data is text, never markup.

Folder names, SKUs, titles and URLs come from users' files. Printed through Rich
markup, ``[/]`` in a folder name failed a finished clip (MarkupError) and ``[b]`` or
``:smile:`` changed what was shown; control characters could drive the terminal.
``DataConsole`` turns markup and emoji codes off and shows control and direction
characters as escapes, for every string it renders (table cells and status too).
Styling is added with ``rich.text.Text`` spans, never with markup in strings.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType
from rich.status import Status
from rich.text import Text

from pipeline.core.safe_text import terminal_safe


class DataConsole(Console):
    """A Rich console that renders every string as literal, terminal-safe text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(highlight=False, markup=False, emoji=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(terminal_safe(text), **kwargs)

    def status(self, status: RenderableType, **kwargs: Any) -> Status:
        shown = Text(terminal_safe(status)) if isinstance(status, str) else status
        return super().status(shown, **kwargs)


out = DataConsole()
"""stdout: results."""
err = DataConsole(stderr=True)
"""stderr: progress, warnings and the one error line."""
