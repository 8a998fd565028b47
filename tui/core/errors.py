"""ytplay's errors. Each says what happened in words a user can act on, without secrets.

    YtplayError
     ├── ResolveError          yt-dlp (or a service) could not turn a reference into a stream
     ├── PlayerUnavailable     libmpv is missing or would not start
     └── ServiceError          a media service answered with an error (see failure classes)
"""

from __future__ import annotations


class YtplayError(Exception):
    """Base of every error ytplay reports to the user."""


class ResolveError(YtplayError):
    pass


class PlayerUnavailable(YtplayError):
    pass


class ServiceError(YtplayError):
    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
