#!/usr/bin/env bash
# install-deps.sh PKG... - install the Debian packages given as arguments that
# are not installed yet, then check that /dev/fuse exists.
#
# Fast path: when every package is installed and /dev/fuse exists it prints
# nothing and touches nothing. Otherwise it runs `apt-get update` once and
# installs the missing packages without recommends; if that install fails it
# updates again and retries once. Safe to run again and again, non-interactive
# (CI, no TTY, no stdin).
#
# On a machine without systemd (a CI container) package postinsts would start
# services such as docker.io's dockerd through invoke-rc.d and the init
# script; a temporary /usr/sbin/policy-rc.d (exit 101) forbids that during the
# install, unless a policy-rc.d exists already. tools/engine-up.sh starts the
# engine instead, so that tools/engine-down.sh can stop it.
#
# Environment:
#   NIMBUSFS_APT_LOCK_TIMEOUT  seconds to wait for the dpkg lock (default 300)
set -euo pipefail

me=install-deps
die() { echo "$me: error: $*" >&2; exit 1; }
warn() { echo "$me: warning: $*" >&2; }

[[ $# -gt 0 ]] || die "usage: tools/install-deps.sh PKG..."

# --- which packages are missing? ----------------------------------------
missing=()
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
	[[ $status == "install ok installed" ]] || missing+=("$pkg")
done

# --- /dev/fuse -------------------------------------------------------------
check_fuse() {
	[[ -e /dev/fuse ]] && return 0
	if [[ $EUID -eq 0 ]] && command -v modprobe >/dev/null 2>&1 &&
		modprobe fuse >/dev/null 2>&1 && [[ -e /dev/fuse ]]; then
		echo "$me: loaded the fuse kernel module (/dev/fuse was missing)"
		return 0
	fi
	warn "/dev/fuse is missing and 'modprobe fuse' did not create it;" \
		"FUSE mounts will fail (in a container, run it with --device /dev/fuse --cap-add SYS_ADMIN)"
}

if [[ ${#missing[@]} -eq 0 ]]; then
	check_fuse
	exit 0
fi

# --- install ---------------------------------------------------------------
[[ $EUID -eq 0 ]] || die "must run as root to install: ${missing[*]}"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found; this script needs Debian"

export DEBIAN_FRONTEND=noninteractive
export NEEDRESTART_SUSPEND=1 # no needrestart scan/prompt after the install
lock_timeout=${NIMBUSFS_APT_LOCK_TIMEOUT:-300}
[[ $lock_timeout =~ ^[0-9]+$ ]] || die "NIMBUSFS_APT_LOCK_TIMEOUT must be a number of seconds"
apt_opts=(
	-q
	-o "DPkg::Lock::Timeout=$lock_timeout" # bounded wait for a concurrent apt/dpkg
	-o Acquire::Retries=3
	-o Acquire::http::Timeout=30
	-o Acquire::https::Timeout=30
	-o Dpkg::Options::=--force-confdef # never ask about changed conffiles
	-o Dpkg::Options::=--force-confold
)

# Forbid service starts during the install when systemd is not running (see
# the header). The marker lets a later run recognise a file left behind by a
# run that was killed, and remove it.
policy=/usr/sbin/policy-rc.d
marker="# nimbusfs install-deps temporary policy"
own_policy=0
remove_policy() {
	if [[ $own_policy -eq 1 ]]; then
		rm -f "$policy"
		own_policy=0
	fi
}
trap remove_policy EXIT
trap 'remove_policy; exit 130' INT
trap 'remove_policy; exit 143' TERM HUP
if [[ -f $policy ]] && grep -qxF "$marker" "$policy" 2>/dev/null; then
	own_policy=1 # our leftover: keep it for this run, remove it at the end
elif [[ ! -e $policy && ! -d /run/systemd/system ]]; then
	printf '#!/bin/sh\n%s\nexit 101\n' "$marker" >"$policy.nimbusfs.$$"
	chmod 0755 "$policy.nimbusfs.$$"
	mv -f "$policy.nimbusfs.$$" "$policy"
	own_policy=1
fi

echo "$me: installing ${missing[*]}"
apt_update() {
	apt-get "${apt_opts[@]}" update </dev/null || warn "apt-get update failed; trying the install anyway"
}
apt_install() {
	apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null
}
apt_update
if ! apt_install; then
	warn "apt-get install failed; running apt-get update and retrying once"
	sleep 2
	apt_update
	apt_install || die "apt-get install failed for: ${missing[*]}"
fi
remove_policy

# Check that dpkg really has them now (e.g. a typo'd name apt resolved oddly).
still=()
for pkg in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
	[[ $status == "install ok installed" ]] || still+=("$pkg")
done
[[ ${#still[@]} -eq 0 ]] || warn "dpkg does not list as installed: ${still[*]} (virtual package names are re-installed on every run; name the real package)"
echo "$me: installed ${missing[*]}"

check_fuse
