#!/bin/sh
# The OS programs the tests and `make screenshots` drive: a private D-Bus session daemon
# (dbus-daemon), its clients (dbus-send, playerctl) and rsvg-convert (SVG to PNG).
# Debian/Ubuntu: installed when missing; elsewhere: named, and make stops.
set -eu

missing=""
command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus-daemon"
command -v dbus-send >/dev/null 2>&1 || missing="$missing dbus-bin"
command -v playerctl >/dev/null 2>&1 || missing="$missing playerctl"
command -v rsvg-convert >/dev/null 2>&1 || missing="$missing librsvg2-bin"
[ -z "$missing" ] && exit 0

if [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing test tools from the OS packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends $missing
    fi
    exit 0
fi
echo "the tests need:$missing (from your OS packages); install them and run make again" >&2
exit 1
