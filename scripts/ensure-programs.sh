#!/bin/sh
# Makes sure OS programs are installed: `ensure-programs.sh WHAT COMMAND=PACKAGE...` installs
# the package of each command not found. Debian/Ubuntu: from the OS packages (via sudo when
# not root); elsewhere: names them, and make stops.
set -eu

what=$1
shift
missing=""
for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || missing="$missing ${pair#*=}"
done
[ -z "$missing" ] && exit 0

if [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing $what from the OS packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends $missing
    fi
    exit 0
fi
echo "$what need:$missing (from your OS packages); install them and run make again" >&2
exit 1
