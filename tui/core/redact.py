"""Keeping secrets out of logs, panels and error messages."""

from __future__ import annotations

import re

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

REDACTED = "***"


def redact(text: str) -> str:
    """`text` with every secret we know how to spot replaced by ***."""
    text = _PARAM_RE.sub(r"\1" + REDACTED, text)
    text = _PATH_PARAM_RE.sub(r"\1" + REDACTED, text)
    text = _BEARER_RE.sub(r"\1" + REDACTED, text)
    text = _JWT_RE.sub(REDACTED, text)
    text = _USERINFO_RE.sub(r"\1" + REDACTED + "@", text)
    text = _PROXY_SECRET_RE.sub(r"\1" + REDACTED + r"\2", text)
    return text
