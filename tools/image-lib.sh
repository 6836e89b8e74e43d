# shellcheck shell=bash
# image-lib.sh - helpers shared by the scripts that build local images
# (tools/build-busybox-image.sh, tools/build-lambda-image.sh): the engine
# address, Engine API calls with curl, the busybox-static rootfs both images
# start from, the up-to-date check by labels, the import, the throw-away
# check container and the removal of the replaced image.
#
# Source it, do not run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"
# Sourcing only defines functions and sets `api`; the caller sets `me` (the
# name put in front of messages) and calls img_init, which checks curl, finds
# the engine, makes the scratch directory $tmp and installs the EXIT trap that
# removes it and the check container $cid.
#
# Environment:
#   DOCKER_HOST  engine address: unix:///path or tcp://host:port
#                (default unix:///var/run/docker.sock)

# Refuse to run as a program.
(return 0 2>/dev/null) || {
	echo "image-lib.sh: source this file from bash; it is not a program" >&2
	exit 1
}

api=/v1.41

# shellcheck disable=SC2154 # me is set by the caller
die() { echo "$me: error: $*" >&2; exit 1; }

# img_init: curl, engine address (conn, base), $tmp, traps, a live engine.
img_init() {
	command -v curl >/dev/null 2>&1 || die "curl is not installed; run 'make deps'"
	local host=${DOCKER_HOST:-unix:///var/run/docker.sock} hostport out
	conn=()
	case $host in
	unix://*)
		conn=(--unix-socket "${host#unix://}")
		base=http://localhost
		;;
	tcp://*)
		hostport=${host#tcp://}
		hostport=${hostport%%/*}
		[[ $hostport =~ :[0-9]+$ ]] || hostport+=:2375
		base=http://$hostport
		;;
	*) die "unsupported DOCKER_HOST '$host' (use unix:///path or tcp://host:port)" ;;
	esac

	tmp=$(mktemp -d)
	cid=''
	trap img_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP

	out=$(curl -s --max-time 2 "${conn[@]}" "$base/_ping" 2>/dev/null || true)
	[[ $out == OK ]] || die "no Docker engine answers at $host; run 'make engine-up'"
}

img_cleanup() {
	if [[ -n ${cid:-} ]]; then
		curl -s --max-time 20 "${conn[@]}" -X DELETE -o /dev/null "$base$api/containers/$cid?force=1" || true
	fi
	rm -rf "$tmp"
}

# call METHOD PATH [curl args...]: body to $tmp/body, prints the HTTP status.
call() {
	local method=$1 path=$2 code
	shift 2
	: >"$tmp/body"
	code=$(curl -sS --max-time 60 "${conn[@]}" -X "$method" -o "$tmp/body" -w '%{http_code}' \
		"$@" "$base$api$path") || true
	echo "${code:-000}"
}

# The message of an engine error reply ({"message":...} or {"error":...}).
engine_error() {
	sed -n 's/.*"\(message\|error\)":"\(\([^"\\]\|\\.\)*\)".*/\2/p' "$tmp/body" | tail -n1
}

urlencode() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9._~-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c" && out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

# busybox_init: bb_version (of Debian's busybox-static) and busybox (its path).
busybox_init() {
	bb_version=$(dpkg-query -W -f='${Status} ${Version}' busybox-static 2>/dev/null || true)
	[[ $bb_version == "install ok installed "* ]] || die "busybox-static is not installed; run 'make deps'"
	bb_version=${bb_version#install ok installed }
	busybox=/bin/busybox
	[[ -x $busybox ]] || die "$busybox is missing although busybox-static is installed; reinstall it"
}

# busybox_rootfs ROOT: /bin/busybox and a /bin symlink per applet (their
# number, busybox included, in `nbin`), /sbin and /usr/{bin,sbin} pointing
# to /bin, an empty /etc/hostname, /root (0700), /tmp (1777) and empty /proc,
# /sys, /dev mount points. The caller writes /etc/passwd and /etc/group.
busybox_rootfs() {
	local root=$1 applet n=0
	mkdir -p "$root"/{bin,etc,root,tmp,proc,sys,dev,usr}
	cp "$busybox" "$root/bin/busybox"
	chmod 0755 "$root/bin/busybox"
	while read -r applet; do
		[[ -n $applet && $applet != busybox && $applet != */* ]] || continue
		ln -sf busybox "$root/bin/$applet"
		n=$((n + 1))
	done < <("$busybox" --list)
	[[ $n -gt 100 ]] || die "'$busybox --list' gave only $n applets"
	# shellcheck disable=SC2034 # for the caller's check
	nbin=$((n + 1))
	ln -s bin "$root/sbin"
	ln -s ../bin "$root/usr/bin"
	ln -s ../bin "$root/usr/sbin"
	: >"$root/etc/hostname"
	chmod 0755 "$root" "$root"/{bin,etc,proc,sys,dev,usr}
	chmod 0644 "$root/etc/hostname"
	chmod 0700 "$root/root"
	chmod 1777 "$root/tmp"
}

# busybox_image_begin IMAGE RECIPE USERS GROUPS: the start both image
# builders share. Exits 0 when IMAGE exists with this busybox-static and
# RECIPE; else sets label_bb and label_recipe (JSON fragments for
# check_labels) and root, a busybox rootfs in $tmp whose /etc/passwd and
# /etc/group hold root, nobody and the USERS and GROUPS lines given
# (newline-separated, may be empty).
busybox_image_begin() {
	local image=$1 recipe=$2 users=$3 groups=$4
	img_init
	busybox_init
	label_bb="\"io.nimbusfs.busybox\":\"$bb_version\""
	label_recipe="\"io.nimbusfs.recipe\":\"$recipe\""
	image_up_to_date "$image" "$label_bb" "$label_recipe" && exit 0
	root=$tmp/rootfs
	busybox_rootfs "$root"
	{
		printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false'
		[[ -z $users ]] || printf '%s\n' "$users"
	} >"$root/etc/passwd"
	{
		printf '%s\n' 'root:x:0:' 'nobody:x:65534:'
		[[ -z $groups ]] || printf '%s\n' "$groups"
	} >"$root/etc/group"
	chmod 0644 "$root"/etc/{passwd,group}
}

# rootfs_tar ROOT TAR: a reproducible tar, everything owned by root.
rootfs_tar() {
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf "$2" .
}

# image_up_to_date IMAGE LABEL...: true if IMAGE exists with every LABEL
# (each a JSON fragment "key":"value"). Otherwise sets old_id to the id of
# the image to replace ('' if there is none).
image_up_to_date() {
	local image=$1 label status current=1
	shift
	old_id=''
	status=$(call GET "/images/$image/json")
	case $status in
	200)
		for label in "$@"; do
			grep -qF "$label" "$tmp/body" || current=0
		done
		((current)) && return 0
		old_id=$(sed -n 's/^{"Id":"\(sha256:[0-9a-f]*\)".*/\1/p' "$tmp/body")
		;;
	404) ;;
	*) die "inspecting $image failed (HTTP $status): $(engine_error)" ;;
	esac
	return 1
}

# import_image REPO TAG TAR CHANGE...: imports TAR as REPO:TAG with the
# Dockerfile-like CHANGEs (POST /images/create?fromSrc=-). The image's
# inspect reply is left in $tmp/body.
import_image() {
	local repo=$1 tag=$2 tar=$3 query change status
	shift 3
	query="fromSrc=-&repo=$(urlencode "$repo")&tag=$tag"
	for change in "$@"; do
		query+="&changes=$(urlencode "$change")"
	done
	status=$(call POST "/images/create?$query" -H 'Content-Type: application/x-tar' \
		--data-binary "@$tar")
	[[ $status == 200 ]] || die "importing $repo:$tag failed (HTTP $status): $(engine_error)"
	# A 200 reply is a progress stream that can still carry {"error":...}.
	if grep -q '"error"' "$tmp/body"; then
		die "importing $repo:$tag failed: $(engine_error)"
	fi
	status=$(call GET "/images/$repo:$tag/json")
	[[ $status == 200 ]] || die "$repo:$tag is missing after the import (HTTP $status): $(engine_error)"
}

# check_labels IMAGE LABEL...: the inspect reply in $tmp/body has them all.
check_labels() {
	local image=$1 label
	shift
	for label in "$@"; do
		grep -qF "$label" "$tmp/body" ||
			die "$image lacks its io.nimbusfs labels after the import (engine ignored the changes?)"
	done
}

# The image id in the inspect reply in $tmp/body.
inspected_id() {
	sed -n 's/^{"Id":"\(sha256:[0-9a-f]*\)".*/\1/p' "$tmp/body"
}

# check_create JSON: creates the check container (its id in cid); the
# caller's `image` names the image in messages.
check_create() {
	local status
	status=$(call POST "/containers/create" -H 'Content-Type: application/json' --data-binary "$1")
	[[ $status == 201 ]] || die "check: creating a container from $image failed (HTTP $status): $(engine_error)"
	cid=$(sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p' "$tmp/body")
	[[ -n $cid ]] || die "check: no container id in the engine's reply"
}

check_start() {
	local status
	status=$(call POST "/containers/$cid/start")
	[[ $status == 204 ]] || die "check: starting the container failed (HTTP $status): $(engine_error)"
}

check_remove() {
	local status
	status=$(call DELETE "/containers/$cid?force=1")
	[[ $status == 204 ]] || die "check: removing the container failed (HTTP $status): $(engine_error)"
	cid=''
}

# remove_replaced NEW_ID: the image old_id replaced, if nothing else uses it
# now (best effort).
remove_replaced() {
	if [[ -n $old_id && $old_id != "$1" ]]; then
		call DELETE "/images/$old_id" >/dev/null || true
	fi
}
