"""Reading the expiry that signed stream URLs carry in their query string."""

from __future__ import annotations

import calendar
import re
from urllib.parse import parse_qs, urlsplit

# Query keys whose value is an absolute Unix time, lower-cased. `expire` is YouTube's
# googlevideo URLs (and our demo's), `expires` CloudFront's and Google Cloud Storage's V2,
# `exp` Akamai-style tokens and several CDNs.
_ABSOLUTE_KEYS = ("expire", "expires", "exp", "x-expires", "validto")

_AMZ_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
# Akamai token auth packs fields into one value: `hdnts=exp=1700000000~acl=...~hmac=...`.
_AKAMAI_EXP = re.compile(r"(?:^|~)exp=(\d{9,11})(?:~|$)")


def _as_unix(value: str) -> float | None:
    value = value.strip()
    if not value.isdigit() or not 9 <= len(value) <= 11:
        return None  # seconds since 1970 have 9-11 digits for any plausible date
    return float(value)


def _amz_date(value: str) -> float | None:
    m = _AMZ_DATE.match(value)
    if not m:
        return None
    return float(calendar.timegm(tuple(int(g) for g in m.groups()) + (0, 0, 0)))


def parse_url_expiry(url: str) -> float | None:
    """The wall-clock Unix time at which `url` expires, or None when it names none.

    Knows `expire=`/`expires=`/`exp=` style absolute times, AWS SigV4 (`X-Amz-Date` +
    `X-Amz-Expires`), Google Cloud Storage V4 (`X-Goog-Date` + `X-Goog-Expires`) and
    Akamai `hdnts`/`__token__` values.
    """
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    params = {k.lower(): v[-1] for k, v in query.items() if v}

    for prefix in ("x-amz-", "x-goog-"):
        start, lifetime = params.get(prefix + "date"), params.get(prefix + "expires")
        if start and lifetime and lifetime.isdigit():
            begun = _amz_date(start)
            if begun is not None:
                return begun + int(lifetime)

    for key in _ABSOLUTE_KEYS:
        if key in params and (t := _as_unix(params[key])) is not None:
            return t

    for key in ("hdnts", "__token__"):
        if key in params and (m := _AKAMAI_EXP.search(params[key])):
            return float(m.group(1))

    # YouTube also puts its parameters in the path: /videoplayback/expire/1700000000/...
    m = re.search(r"/expire/(\d{9,11})(?:/|$)", urlsplit(url).path)
    if m:
        return float(m.group(1))
    return None


def server_clock_offset(date_header: str | None, local_now: float,
                        age_header: str | None = None) -> float | None:
    """How far the server's clock is ahead of ours (negative: behind), from the HTTP `Date`
    header of an answer received at `local_now`; None when there is none to read. `Date`
    has whole seconds, so offsets under a couple of seconds are noise. An answer a cache
    kept carries the `Date` it was made at and its `Age` since (RFC 9111, 5.1): its server
    said the time `Age` seconds ago."""
    if not date_header:
        return None
    from email.utils import parsedate_to_datetime

    try:
        server = parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    age = (age_header or "").strip()
    if age.isdigit() and len(age) <= 10:
        server += int(age)
    offset = server - local_now
    return offset if abs(offset) >= 2.0 else 0.0


def lifetime_end(local_now: float, *, expires_in: object = None, expires_at: object = None,
                 offset: float | None = None, default: float) -> float:
    """When a credential stops working, on our clock. A relative lifetime (`expires_in`)
    is immune to clock differences and wins; an absolute one (`expires_at`, on the
    server's clock) is moved onto ours by `offset`; nonsense falls back to `default`
    seconds from now."""
    relative = _number(expires_in)
    if relative is not None and relative > 0:
        return local_now + relative
    absolute = _number(expires_at)
    if absolute is not None:
        return absolute - (offset or 0.0)
    return local_now + default


def _number(value: object) -> float | None:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        n = float(value)
    except ValueError:
        return None
    return n if math.isfinite(n) else None


def sane_interval(value: object, *, low: float = 1.0, high: float = 86400.0) -> float | None:
    """`value` as an interval in seconds when it is a number in [low, high]; else None
    (the caller falls back to a default, and says so once)."""
    n = _number(value)
    return n if n is not None and low <= n <= high else None


def clock_note(offset: float) -> str | None:
    """What the session panel says about a server clock `offset` s off ours, when it
    matters (a lease would look expired, or longer-lived than it is)."""
    if abs(offset) < 30:
        return None
    amount = f"{abs(offset) / 60:.0f} min" if abs(offset) >= 90 else f"{abs(offset):.0f} s"
    return f"server clock {'ahead' if offset > 0 else 'behind'} by {amount}"
