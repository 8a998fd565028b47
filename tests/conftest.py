from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tui.demo.options import DemoOptions
from tui.demo.service import DemoService


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test reads or writes the developer's own queue, logs or config, nor takes the
    control socket of the ytplay the developer runs (each test's app has its own)."""
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    # Short, under /tmp: a socket's path is limited to 107 bytes, which tmp_path can pass.
    runtime = tempfile.mkdtemp(prefix="ytplay-run-")
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
    yield tmp_path
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthesized demo tracks, shared by every test of the run."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture
def demo_options(media_dir: Path) -> DemoOptions:
    return DemoOptions(media_dir=media_dir, seed=1)


@pytest.fixture
def demo(demo_options: DemoOptions) -> Iterator[DemoService]:
    with DemoService(demo_options) as service:
        yield service


@pytest.fixture
def player():
    from tui.adapters.mpv_player import MpvPlayer

    p = MpvPlayer(ao="null")
    yield p
    p.close()


@pytest.fixture
def resolver():
    from tui.adapters.ytdlp_resolver import YtDlpResolver

    r = YtDlpResolver()
    yield r
    r.close()


@pytest.fixture
async def session(resolver, tmp_path: Path):
    from tui.factory import make_session
    from tui.session.store import TokenStore

    manager = make_session(resolver, token_store=TokenStore(tmp_path / "tokens.json"))
    yield manager
    await manager.aclose()
