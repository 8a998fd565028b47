"""The commands that install or upgrade what ytplay needs, for this machine: the OS package
of libmpv (the table scripts/ensure-libmpv.sh and the README use) and the pip that
upgrades yt-dlp where ytplay is installed."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from pathlib import Path


def _os_release() -> set[str]:
    """ID and ID_LIKE of /etc/os-release: "debian", "fedora", "arch", ..."""
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    ids: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip('"').split())
    return ids


def _root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def libmpv_install() -> str:
    """The command that installs libmpv here."""
    sudo = "" if _root() else "sudo "
    if platform.system() == "Darwin":
        return "brew install mpv"
    ids = _os_release()
    if ids & {"debian", "ubuntu"} or Path("/etc/debian_version").exists():
        return f"{sudo}apt-get install libmpv2"
    if ids & {"fedora", "rhel", "centos"}:
        return f"{sudo}dnf install mpv-libs"
    if ids & {"arch", "manjaro"}:
        return f"{sudo}pacman -S mpv"
    if ids & {"opensuse", "suse", "opensuse-tumbleweed"}:
        return f"{sudo}zypper install libmpv2"
    return "install your distribution's libmpv package (it provides libmpv.so.2)"


def pipx_app() -> str | None:
    """The pipx app ytplay runs in, when pipx installed it: pipx keeps each app in
    <PIPX_HOME>/venvs/<app>."""
    prefix = Path(sys.prefix)
    if prefix.parent.name == "venvs" and "pipx" in str(prefix.parent.parent).lower():
        return prefix.name
    home = os.environ.get("PIPX_HOME")
    if home and prefix.parent == Path(home) / "venvs":
        return prefix.name
    return None


def ytdlp_upgrade() -> str:
    """The command that upgrades yt-dlp where this ytplay runs."""
    app = pipx_app()
    if app is not None:
        return f"pipx runpip {shlex.quote(app)} install -U yt-dlp"
    if sys.prefix != sys.base_prefix:  # a virtual environment
        return f"{shlex.quote(str(Path(sys.prefix) / 'bin' / 'pip'))} install -U yt-dlp"
    return f"{shlex.quote(sys.executable)} -m pip install --user -U yt-dlp"
