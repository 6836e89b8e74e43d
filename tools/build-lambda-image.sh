#!/usr/bin/env bash
# build-lambda-image.sh - build the local image local/lambda-provided:al2023,
# an offline stand-in for AWS's provided.al2023 Lambda base image, and import
# it into the engine.
#
# Usage: tools/build-lambda-image.sh PATH-TO-lambda-rie-BINARY
#
# The rootfs is Debian's busybox-static with a /bin symlink per applet (as in
# local/busybox), /etc/passwd and /etc/group with root, nobody and
# sbx_user1051 (uid 993, gid 990, the user Lambda runs functions as), /tmp
# (1777), /var/task, /var/runtime and /opt (0755), /etc/localtime (UTC, when
# the host has tzdata), and the given emulator (built from tools/lambda-rie/)
# at /usr/local/bin/aws-lambda-rie, where AWS's base images keep theirs.
# It is imported through the Engine API (POST /images/create?fromSrc=-) with
#   ENTRYPOINT ["/usr/local/bin/aws-lambda-rie"]  CMD ["function.handler"]
#   ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin
#       LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
#       LANG=en_US.UTF-8 TZ=:/etc/localtime
#   EXPOSE 8080/tcp  WORKDIR /var/task
# and labels recording the busybox-static version and the recipe, which is
# this script's recipe number plus the SHA-256 (first 16 hex digits) of the
# emulator binary, so that a rebuilt emulator replaces the image.
#
# Idempotent: if the image exists with the same labels it prints nothing and
# exits 0. After a build it runs a throw-away container with a trivial handler
# (uploaded as a tar into /var/task with PUT /containers/{id}/archive), invokes
# it once through a port published on 127.0.0.1, and removes the image it
# replaced.
#
# Environment:
#   DOCKER_HOST  engine address: unix:///path or tcp://host:port
#                (default unix:///var/run/docker.sock)
set -euo pipefail
export LC_ALL=C

me=images
image_repo=local/lambda-provided
image_tag=al2023
image=$image_repo:$image_tag
recipe=1 # bump when the rootfs or the image config below changes
rie_path=/usr/local/bin/aws-lambda-rie
invoke_path=/2015-03-31/functions/function/invocations

# die, img_init, call, engine_error, urlencode, the rootfs, import and check helpers.
# shellcheck source=image-lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"

[[ $# -eq 1 ]] || die "usage: tools/build-lambda-image.sh PATH-TO-lambda-rie-BINARY"
rie=$1
[[ -f $rie && -x $rie ]] || die "$rie is not an executable file; run 'make images'"
rie_hash=$(sha256sum "$rie") || die "cannot read $rie"
recipe+=-${rie_hash:0:16}

# --- up to date? then the rootfs ------------------------------------------------
busybox_image_begin "$image" "$recipe" 'sbx_user1051:x:993:990::/tmp:/bin/false' \
	'sbx_user1051:x:990:'
if [[ -f /usr/share/zoneinfo/UTC ]]; then
	cp /usr/share/zoneinfo/UTC "$root/etc/localtime"
	chmod 0644 "$root/etc/localtime"
fi
mkdir -p "$root"/var/{task,runtime} "$root/opt" "$root/usr/local/bin"
cp "$rie" "$root$rie_path"
chmod 0755 "$root"/var{,/task,/runtime} "$root/opt" "$root"/usr/local{,/bin} "$root$rie_path"
rootfs_tar "$root" "$tmp/rootfs.tar"

# --- import --------------------------------------------------------------------
import_image "$image_repo" "$image_tag" "$tmp/rootfs.tar" \
	"ENTRYPOINT [\"$rie_path\"]" 'CMD ["function.handler"]' \
	'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin' \
	'ENV LAMBDA_TASK_ROOT=/var/task' 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
	'ENV LANG=en_US.UTF-8' 'ENV TZ=:/etc/localtime' 'EXPOSE 8080/tcp' 'WORKDIR /var/task' \
	"LABEL io.nimbusfs.busybox=\"$bb_version\" io.nimbusfs.recipe=\"$recipe\""
check_labels "$image" "$label_bb" "$label_recipe"
grep -qF "\"Entrypoint\":[\"$rie_path\"]" "$tmp/body" ||
	die "$image lacks ENTRYPOINT [\"$rie_path\"] after the import"
new_id=$(inspected_id)

# --- check: one invocation ---------------------------------------------------------
body='{"Image":"'$image'","Labels":{"io.nimbusfs.check":"1"},'
body+='"ExposedPorts":{"8080/tcp":{}},"HostConfig":{"PortBindings":'
body+='{"8080/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]}}}'
check_create "$body"

# The handler, as a function would be uploaded: root-owned, read-only.
mkdir "$tmp/task"
# shellcheck disable=SC2016 # the handler's own $1 and $(...)
printf '%s\n' 'handler() {' '	echo "check on stderr" >&2' \
	'	printf '\''{"user":"%s","event":%s}'\'' "$(id -u)" "$1"' '}' >"$tmp/task/function.sh"
chmod 0444 "$tmp/task/function.sh"
tar --owner=0 --group=0 --numeric-owner -C "$tmp/task" -cf "$tmp/task.tar" function.sh
status=$(call PUT "/containers/$cid/archive?path=/var/task" -H 'Content-Type: application/x-tar' \
	--data-binary "@$tmp/task.tar")
[[ $status == 200 ]] || die "check: uploading the handler failed (HTTP $status): $(engine_error)"
check_start

status=$(call GET "/containers/$cid/json")
[[ $status == 200 ]] || die "check: inspecting the container failed (HTTP $status): $(engine_error)"
port=$(tr -d ' \n' <"$tmp/body" |
	sed -n 's|.*"8080/tcp":\[{"HostIp":"127.0.0.1","HostPort":"\([0-9]*\)"}.*|\1|p')
[[ -n $port ]] || die "check: port 8080 of the container is not published on 127.0.0.1"

# Ready when GET / answers (404) on the published port; at most 10 s.
deadline=$((SECONDS + 10))
until [[ $(curl -s --max-time 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true) == 404 ]]; do
	((SECONDS < deadline)) || die "check: the emulator does not answer on 127.0.0.1:$port"
	sleep 0.1
done

code=$(curl -sS --max-time 20 -o "$tmp/reply" -D "$tmp/headers" -w '%{http_code}' \
	-H 'X-Amzn-RequestId: image-check' --data-binary '{"check":1}' \
	"http://127.0.0.1:$port$invoke_path") || code=000
reply=$(cat "$tmp/reply")
[[ $code == 200 && $reply == '{"user":"993","event":{"check":1}}' ]] ||
	die "check: the invocation answered HTTP $code '$reply', expected '{\"user\":\"993\",\"event\":{\"check\":1}}'"
grep -qi '^X-Amzn-RequestId: image-check' "$tmp/headers" ||
	die "check: the invocation's reply lacks X-Amzn-RequestId"
! grep -qi '^X-Amz-Function-Error' "$tmp/headers" || die "check: the invocation reported a function error"
check_remove

remove_replaced "$new_id"

echo "$me: built $image (busybox $bb_version, lambda-rie ${rie_hash:0:16})"
