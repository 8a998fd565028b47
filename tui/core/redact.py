"""Keeping secrets out of logs, panels, error messages and `ytplay config show`: `redact`
for text, `redact_tree` for settings, where a name says what its value is. Every printer
uses these two, so that a secret hidden in one place is hidden in all."""

from __future__ import annotations

import re
from typing import Any

# Query parameters whose values are secrets: signatures, tokens, keys, passwords.
_SECRET_PARAMS = (
    "sig", "signature", "lsig", "token", "access_token", "refresh_token", "key", "api_key",
    "apikey", "password", "passwd", "secret", "client_secret", "auth", "hdnts", "__token__",
    "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature",
    "x-goog-credential", "policy", "key-pair-id", "hmac", "code",
)
_PARAM_RE = re.compile(
    r"(?i)([?&;](?:" + "|".join(re.escape(p) for p in _SECRET_PARAMS) + r")=)[^&#\s\"']+"
)
# YouTube puts its parameters in the path too (HLS manifests and segments): /sig/<value>/.
_PATH_PARAM_RE = re.compile(r"(?i)(/(?:sig|lsig|signature)/)[^/?#\s\"']+")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
# A JWT anywhere in text: three base64url segments, the first starting like '{"'.
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_USERINFO_RE = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")
# The proxy's per-run secret path segment: http://127.0.0.1:port/<secret>/item.
_PROXY_SECRET_RE = re.compile(r"(://(?:127\.0\.0\.1|localhost)(?::\d+)?/)[A-Za-z0-9_-]{20,}(/)")

# A header carrying a credential, as a line ("Cookie: a=b") or one of libmpv's
# http-header-fields ("Authorization: Bearer x,X-Api-Key: y"): its value, to a comma, a
# quote or the line's end. Any *-Token, *-Key, *-Secret or *-Auth… header counts.
_HEADER_RE = re.compile(
    r"(?i)(\b(?:proxy-)?authorization|\b(?:set-)?cookie|\b[a-z0-9-]*-(?:token|key|secret|"
    r"auth[a-z]*|signature))([\"']?\s*:\s*[\"']?)[^,\s\"'][^,\r\n\"']*")
# Names whose values are credentials (ap_password, api_key, X-Auth-Token, Cookie); but not
# the names of where one is kept (cookies_file, password_env, token_url).
_SECRET_NAME = re.compile(r"(?i)password|passwd|token|secret|cookie|credential|signature|"
                          r"auth(?!ors?\b)|apikey|(?<![a-z])key(?![a-z])")
_WHERE_IT_IS = re.compile(r"(?i)[-_](?:file|env|url|path|dir)$")

REDACTED = "***"


def redact(text: str) -> str:
    """`text` with every secret we know how to spot replaced by ***."""
    text = _HEADER_RE.sub(r"\1\2" + REDACTED, text)
    text = _PARAM_RE.sub(r"\1" + REDACTED, text)
    text = _PATH_PARAM_RE.sub(r"\1" + REDACTED, text)
    text = _BEARER_RE.sub(r"\1" + REDACTED, text)
    text = _JWT_RE.sub(REDACTED, text)
    text = _USERINFO_RE.sub(r"\1" + REDACTED + "@", text)
    text = _PROXY_SECRET_RE.sub(r"\1" + REDACTED + r"\2", text)
    return text


def secret_name(name: str) -> bool:
    """Whether a setting or header called `name` holds a credential."""
    return bool(_SECRET_NAME.search(name)) and not _WHERE_IT_IS.search(name)


def redact_tree(value: Any, name: str = "", secret: bool = False) -> Any:
    """Settings (tables, lists, values) with every credential replaced by ***: each value
    under a secret name (`secret_name`; under a table of one, all of it), and what `redact`
    finds in any other text (a header's value, user:pass@ in a URL, a token in a query).
    An empty value stays empty: it says that none is set."""
    secret = secret or secret_name(name)
    if isinstance(value, dict):
        return {k: redact_tree(v, str(k), secret) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_tree(v, name, secret) for v in value]
    if secret and value not in ("", None):
        return REDACTED
    return redact(value) if isinstance(value, str) else value
