"""clipcart's one exception tree.

Every error a user can cause or meet carries what failed, where, and what to do
about it, so the CLI can print one line and exit with the right status::

    ClipcartError                      base; ``exit_code`` 1 unless a subclass says 2
    ├── BadInput                       exit 2: the user's input is wrong, fixable by them
    │   ├── FootageError               footage missing, unreadable, too short, not video
    │   ├── CatalogError               catalog file, row or field invalid
    │   ├── TemplateError              brand template missing or invalid
    │   ├── ManifestError              batch manifest row invalid
    │   ├── ScriptError                caption script missing, unreadable, binary, huge or bad SRT
    │   └── ConfigError                settings, credentials or options invalid
    ├── MediaError                     exit 1: ffmpeg or decoding failed on valid input
    │   └── FFmpegError                keeps the command and the tail of stderr
    ├── TranscriptionError             exit 1: the Whisper model could not load or run
    ├── QCError                        exit 1: a render does not meet the delivery spec
    └── PublishError                   exit 1: a platform call failed
        ├── TransientPublishError      worth retrying (5xx, timeout, dropped, 429)
        ├── PermanentPublishError      the platform refused the post (validation, media)
        └── AccountBlockedError        spam-risk or auth: stop publishing for the account
"""

from __future__ import annotations

from collections.abc import Sequence


class ClipcartError(Exception):
    """Base of every error clipcart raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The single line the CLI prints: what is wrong, then how to fix it."""
        text = " ".join(self.message.split())
        return f"{text}. {self.hint}" if self.hint else text


class BadInput(ClipcartError):
    """The user's input is wrong; the message says where and how to fix it."""

    exit_code = 2


class FootageError(BadInput):
    """Footage is missing, unreadable, too short or not a video."""


class CatalogError(BadInput):
    """A catalog file, row or field is invalid."""


class TemplateError(BadInput):
    """A brand template is missing or invalid."""


class ManifestError(BadInput):
    """A batch manifest row is invalid."""


class ScriptError(BadInput):
    """A caption script (``--script``) is missing, unreadable, empty, binary, too large or
    malformed SRT."""


class ConfigError(BadInput):
    """Settings, options or credentials are invalid."""


class MediaError(ClipcartError):
    """Valid-looking media could not be processed."""


class FFmpegError(MediaError):
    """ffmpeg exited non-zero; keeps the command and the last lines of stderr."""

    def __init__(self, cmd: Sequence[str], returncode: int, stderr: str,
                 timeout_s: float | None = None) -> None:
        tail = [line for line in stderr.strip().splitlines() if line.strip()][-8:]
        self.cmd = list(cmd)
        self.returncode = returncode
        self.stderr_tail = "\n".join(tail)
        last = tail[-1] if tail else "no output"
        if timeout_s is not None:
            super().__init__(f"ffmpeg timed out after {timeout_s:g} s and was stopped",
                             hint="The machine may be overloaded; run again when it is quieter")
            return
        super().__init__(_ffmpeg_summary(returncode, stderr, last),
                         hint=_ffmpeg_hint(returncode, stderr))


_SIGNALS = {2: "SIGINT", 9: "SIGKILL", 15: "SIGTERM", 6: "SIGABRT", 11: "SIGSEGV"}


def _ffmpeg_summary(returncode: int, stderr: str, last: str) -> str:
    """What happened, in words: killed by a signal, disk full, or ffmpeg's last line."""
    if returncode < 0:
        name = _SIGNALS.get(-returncode, f"signal {-returncode}")
        return f"ffmpeg was killed ({name}) before it finished"
    if "No space left on device" in stderr:
        return "ffmpeg could not write its output: no space left on the device"
    if "File too large" in stderr:
        return ("ffmpeg could not write its output: file too large for this file system "
                "or limit")
    return f"ffmpeg failed (exit {returncode}): {last}"


def _ffmpeg_hint(returncode: int, stderr: str) -> str:
    """How to fix it: free space for write errors, else how to see the details."""
    if "No space left on device" in stderr or "File too large" in stderr:
        return "Free some disk space or pass --out on a disk with room, then run again"
    if returncode < 0:
        return "Run again; if it keeps happening, check free memory (the system may stop ffmpeg)"
    return "Run with CLIPCART_DEBUG=1 to see the full command and stderr"


class TranscriptionError(ClipcartError):
    """The Whisper model could not be loaded or run."""


class QCError(ClipcartError):
    """A render does not meet the delivery spec."""


class PublishError(ClipcartError):
    """A platform call failed."""


class TransientPublishError(PublishError):
    """Worth retrying: 5xx, timeouts, dropped connections, rate limits."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentPublishError(PublishError):
    """The platform refused the post; retrying will not help."""


class AccountBlockedError(PublishError):
    """Spam-risk or auth failure: stop publishing for this account."""
