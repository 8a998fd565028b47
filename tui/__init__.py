"""ytplay: a terminal media client that keeps expiring credentials alive while libmpv plays."""

__version__ = "0.1.0"
