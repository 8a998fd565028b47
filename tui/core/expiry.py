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
