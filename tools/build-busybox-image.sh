#!/usr/bin/env bash
# build-busybox-image.sh - build the local image local/busybox:latest from
# Debian's busybox-static, with no download, and import it into the engine.
#
# The rootfs is /bin/busybox plus a /bin symlink for every applet, /etc/passwd
# and /etc/group (root, nobody), an empty /etc/hostname, /root, /tmp (1777)
# and empty /proc, /sys, /dev mount points. It is imported through the Engine
# API (POST /images/create?fromSrc=-) with CMD ["/bin/sh"], ENV PATH=/bin and
# labels recording the busybox-static version and this recipe's version.
#
# Idempotent: if the image exists with the same labels it prints nothing and
# exits 0. After a build it runs a throw-away container (sh -c 'echo hi; ls
# /bin | wc -l') to check the image, and removes the image it replaced.
#
# Environment:
#   DOCKER_HOST  engine address: unix:///path or tcp://host:port
#                (default unix:///var/run/docker.sock)
set -euo pipefail
export LC_ALL=C

me=images
image_repo=local/busybox
image_tag=latest
image=$image_repo:$image_tag
recipe=1 # bump when the rootfs or the image config below changes
api=/v1.41

die() { echo "$me: error: $*" >&2; exit 1; }

command -v curl >/dev/null 2>&1 || die "curl is not installed; run 'make deps'"

# --- busybox-static --------------------------------------------------------
bb_version=$(dpkg-query -W -f='${Status} ${Version}' busybox-static 2>/dev/null || true)
[[ $bb_version == "install ok installed "* ]] || die "busybox-static is not installed; run 'make deps'"
bb_version=${bb_version#install ok installed }
busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox is missing although busybox-static is installed; reinstall it"

# --- engine address --------------------------------------------------------
host=${DOCKER_HOST:-unix:///var/run/docker.sock}
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
cleanup() {
	if [[ -n $cid ]]; then
		curl -s --max-time 20 "${conn[@]}" -X DELETE -o /dev/null "$base$api/containers/$cid?force=1" || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

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

out=$(curl -s --max-time 2 "${conn[@]}" "$base/_ping" 2>/dev/null || true)
[[ $out == OK ]] || die "no Docker engine answers at $host; run 'make engine-up'"

# --- up to date? -------------------------------------------------------------
label_bb="\"io.nimbusfs.busybox\":\"$bb_version\""
label_recipe="\"io.nimbusfs.recipe\":\"$recipe\""
old_id=''
status=$(call GET "/images/$image/json")
case $status in
200)
	if grep -qF "$label_bb" "$tmp/body" && grep -qF "$label_recipe" "$tmp/body"; then
		exit 0
	fi
	old_id=$(sed -n 's/^{"Id":"\(sha256:[0-9a-f]*\)".*/\1/p' "$tmp/body")
	;;
404) ;;
*) die "inspecting $image failed (HTTP $status): $(engine_error)" ;;
esac

# --- rootfs ------------------------------------------------------------------
root=$tmp/rootfs
mkdir -p "$root"/{bin,etc,root,tmp,proc,sys,dev,usr}
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
n=0
while read -r applet; do
	[[ -n $applet && $applet != busybox && $applet != */* ]] || continue
	ln -sf busybox "$root/bin/$applet"
	n=$((n + 1))
done < <("$busybox" --list)
[[ $n -gt 100 ]] || die "'$busybox --list' gave only $n applets"
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nobody:x:65534:' >"$root/etc/group"
: >"$root/etc/hostname"
chmod 0755 "$root" "$root"/{bin,etc,proc,sys,dev,usr}
chmod 0644 "$root"/etc/{passwd,group,hostname}
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$root" -cf "$tmp/rootfs.tar" .

# --- import --------------------------------------------------------------------
query="fromSrc=-&repo=$(urlencode "$image_repo")&tag=$image_tag"
for change in 'CMD ["/bin/sh"]' 'ENV PATH=/bin' \
	"LABEL io.nimbusfs.busybox=\"$bb_version\" io.nimbusfs.recipe=\"$recipe\""; do
	query+="&changes=$(urlencode "$change")"
done
status=$(call POST "/images/create?$query" -H 'Content-Type: application/x-tar' \
	--data-binary "@$tmp/rootfs.tar")
[[ $status == 200 ]] || die "importing $image failed (HTTP $status): $(engine_error)"
# A 200 reply is a progress stream that can still carry {"error":...}.
if grep -q '"error"' "$tmp/body"; then
	die "importing $image failed: $(engine_error)"
fi

status=$(call GET "/images/$image/json")
[[ $status == 200 ]] || die "$image is missing after the import (HTTP $status): $(engine_error)"
if ! grep -qF "$label_bb" "$tmp/body" || ! grep -qF "$label_recipe" "$tmp/body"; then
	die "$image lacks its io.nimbusfs labels after the import (engine ignored the changes?)"
fi
grep -qF '"Cmd":["/bin/sh"]' "$tmp/body" || die "$image lacks CMD [\"/bin/sh\"] after the import"
new_id=$(sed -n 's/^{"Id":"\(sha256:[0-9a-f]*\)".*/\1/p' "$tmp/body")

# --- check: run a container ------------------------------------------------------
body='{"Image":"'$image'","Cmd":["sh","-c","echo hi; ls /bin | wc -l"],"Tty":true,'
body+='"Labels":{"io.nimbusfs.check":"1"},"HostConfig":{"NetworkMode":"none"}}'
status=$(call POST "/containers/create" -H 'Content-Type: application/json' --data-binary "$body")
[[ $status == 201 ]] || die "check: creating a container from $image failed (HTTP $status): $(engine_error)"
cid=$(sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p' "$tmp/body")
[[ -n $cid ]] || die "check: no container id in the engine's reply"
status=$(call POST "/containers/$cid/start")
[[ $status == 204 ]] || die "check: starting the container failed (HTTP $status): $(engine_error)"
status=$(call POST "/containers/$cid/wait")
[[ $status == 200 ]] || die "check: waiting for the container failed (HTTP $status): $(engine_error)"
grep -q '"StatusCode":0' "$tmp/body" || die "check: the container failed: $(tr -d '\n' <"$tmp/body")"
status=$(call GET "/containers/$cid/logs?stdout=1&stderr=1")
[[ $status == 200 ]] || die "check: reading the container's logs failed (HTTP $status): $(engine_error)"
logs=$(tr -d '\r' <"$tmp/body" | sed 's/^ *//')
expected=$(printf 'hi\n%s' $((n + 1)))
[[ $logs == "$expected" ]] ||
	die "check: the container printed '$(echo "$logs" | tr '\n' ' ')', expected 'hi $((n + 1))'"
status=$(call DELETE "/containers/$cid?force=1")
[[ $status == 204 ]] || die "check: removing the container failed (HTTP $status): $(engine_error)"
cid=''

# The replaced image, if nothing else uses it now (best effort).
if [[ -n $old_id && $old_id != "$new_id" ]]; then
	call DELETE "/images/$old_id" >/dev/null || true
fi

echo "$me: built $image (busybox $bb_version)"
