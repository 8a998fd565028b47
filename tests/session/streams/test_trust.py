"""What the session's HTTP client trusts: the OS's certificate directory, read as handshakes
need it (not a bundle loaded whole into every process), against real TLS servers on
loopback with certificates from test CAs."""

from __future__ import annotations

import ctypes
import ctypes.util
import ssl
from pathlib import Path

import httpx
import pytest
import trustme
from aiohttp import web

from tui.session.streams import _lazy_client  # noqa: PLC2701
from tui.session.streams._lazy_client import LazyClient, trust  # noqa: PLC2701


def _hashed_name(ca: trustme.CA) -> str:
    """The name OpenSSL looks a CA up by in a directory (what `openssl rehash` gives it),
    from the libcrypto Python's ssl uses."""
    der = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    crypto = ctypes.CDLL(ctypes.util.find_library("crypto"))
    crypto.d2i_X509.restype = ctypes.c_void_p
    crypto.d2i_X509.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
    crypto.X509_subject_name_hash.restype = ctypes.c_ulong
    crypto.X509_subject_name_hash.argtypes = [ctypes.c_void_p]
    crypto.X509_free.argtypes = [ctypes.c_void_p]
    cert = crypto.d2i_X509(None, ctypes.byref(ctypes.c_char_p(der)), len(der))
    assert cert, "libcrypto could not read the certificate"
    try:
        return f"{crypto.X509_subject_name_hash(cert):08x}.0"
    finally:
        crypto.X509_free(cert)


@pytest.fixture
def os_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An OS certificate directory holding one CA, as OpenSSL's default; no SSL_CERT_* set."""
    ca = trustme.CA()
    folder = tmp_path / "certs"
    folder.mkdir()
    ca.cert_pem.write_to_path(str(folder / _hashed_name(ca)))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    paths = ssl.get_default_verify_paths()
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: paths._replace(capath=str(folder)))
    return ca


async def _hello(_request: web.Request) -> web.Response:
    return web.Response(text="over TLS")


async def _tls_server(ca: trustme.CA):
    app = web.Application()
    app.router.add_get("/", _hello)
    runner = web.AppRunner(app)
    await runner.setup()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    return runner, f"https://127.0.0.1:{port}/"


async def test_the_os_store_is_read_as_a_handshake_needs_it(
        os_store, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[ssl.SSLContext | bool] = []
    monkeypatch.setattr(_lazy_client, "trust", lambda: made.append(trust()) or made[-1])
    runner, url = await _tls_server(os_store)
    client = LazyClient()
    try:
        client.client  # made: what it trusts is loaded up front, if anything
        (context,) = made
        assert isinstance(context, ssl.SSLContext)
        assert context.cert_store_stats()["x509_ca"] == 0      # nothing
        assert (await client.get(url)).text == "over TLS"
        assert context.cert_store_stats()["x509_ca"] == 1      # the one CA the server named
    finally:
        await client.aclose()
        await runner.cleanup()


async def test_a_server_the_os_store_does_not_vouch_for_is_refused(os_store) -> None:
    runner, url = await _tls_server(trustme.CA())          # a CA the store does not hold
    client = LazyClient()
    try:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(url)
    finally:
        await client.aclose()
        await runner.cleanup()


def test_what_the_environment_names_is_trusted_as_httpx_trusts_it(
        os_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "bundle.pem"))
    assert trust() is True
    monkeypatch.delenv("SSL_CERT_FILE")
    assert isinstance(trust(), ssl.SSLContext)
    assert trust(str(tmp_path / "no such folder")) is True  # no OS store: certifi's bundle
    assert trust(str(tmp_path)) is True                     # a folder of no certificates
