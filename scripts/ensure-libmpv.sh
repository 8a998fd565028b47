#!/bin/sh
# Makes sure libmpv (the shared library python-mpv loads) is installed.
# Debian/Ubuntu: installs it from the OS packages; elsewhere: names the package and stops.
set -eu

have_libmpv() {
    ldconfig -p 2>/dev/null | grep -q 'libmpv\.so' && return 0
    # ldconfig may live in /sbin, outside a non-root PATH.
    /sbin/ldconfig -p 2>/dev/null | grep -q 'libmpv\.so'
}

have_libmpv && exit 0

if [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    echo "libmpv is missing: installing libmpv2 from the OS packages${sudo:+ (via sudo)}..."
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y -qq libmpv2 >/dev/null 2>&1; then
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq libmpv2
    fi
    have_libmpv && exit 0
    echo "libmpv2 was installed but libmpv.so is still not found by ldconfig." >&2
    exit 1
fi

if [ "$(uname -s)" = "Darwin" ]; then
    pkg="mpv (brew install mpv)"
elif [ -r /etc/fedora-release ]; then
    pkg="mpv-libs (sudo dnf install mpv-libs)"
elif [ -r /etc/arch-release ]; then
    pkg="mpv (sudo pacman -S mpv)"
else
    pkg="your distribution's libmpv package (it provides libmpv.so.2)"
fi
echo "ytplay needs libmpv, which is not installed. Install $pkg, then run make again." >&2
exit 1
