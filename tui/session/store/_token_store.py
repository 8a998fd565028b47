"""Refresh tokens on disk: one JSON file, mode 0600, written atomically. Passwords and
access tokens are never stored.

Read through a schema (_read_back.py): an entry of the wrong shape is dropped (that service
logs in afresh) and a file that is not a token file is set aside, so a broken file never
blocks a service until someone deletes it by hand."""

from __future__ import annotations

import json
from pathlib import Path

from tui.config.atomic import SECRET, atomic_write

from ._read_back import TokenRecord, partly_unreadable, read_json, unreadable, valid_record, why


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []  # what reading skipped or set aside, for the UI

    def _read(self) -> dict[str, str]:
        """Service name → refresh token, for the entries that can be read."""
        try:
            doc = read_json(self.path)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            self.notices.append(unreadable(self.path, "the token file", why(e)))
            return {}
        services = doc.get("services") if isinstance(doc, dict) else None
        if not isinstance(services, dict):
            self.notices.append(unreadable(self.path, "the token file", "not a token file"))
            return {}
        tokens: dict[str, str] = {}
        for name, entry in services.items():
            if (record := valid_record(TokenRecord, entry)) is not None:
                tokens[name] = record.refresh_token
        if len(tokens) < len(services):
            self.notices.append(partly_unreadable(self.path, "the token file",
                                                  len(services) - len(tokens), len(services)))
            # Rewritten without them at once, so the copy is made (and said) only once.
            try:
                self._write(tokens)
            except OSError:
                pass  # the next save tries again; the tokens that were read still work
        return tokens

    def _write(self, tokens: dict[str, str]) -> None:
        doc = {"services": {name: {"refresh_token": t} for name, t in tokens.items()}}
        # Always 0600, whatever the file had: it holds credentials.
        atomic_write(self.path, json.dumps(doc, indent=1), new_mode=SECRET, keep_mode=False)

    def check(self) -> list[str]:
        """Read the file once (at start-up), setting aside what cannot be read; the notices."""
        self._read()
        return list(self.notices)

    def load(self, service: str) -> str | None:
        return self._read().get(service)

    def save(self, service: str, refresh_token: str | None) -> None:
        tokens = self._read()
        if refresh_token is None:
            tokens.pop(service, None)
        else:
            tokens[service] = refresh_token
        self._write(tokens)


class RunTokenStore(TokenStore):
    """Refresh tokens kept for this run only, in memory. The demo service is a new service
    every run (new signing keys, new token authority): a refresh token from an earlier run
    could only be refused, and saying so at every `--demo` start was an error about
    nothing."""

    def __init__(self) -> None:
        super().__init__(Path("(this run only)"))
        self._tokens: dict[str, str] = {}

    def _read(self) -> dict[str, str]:
        return dict(self._tokens)

    def _write(self, tokens: dict[str, str]) -> None:
        self._tokens = dict(tokens)
