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

# die, img_init, call, engine_error, urlencode, the rootfs, import and check helpers.
# shellcheck source=image-lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"

# --- up to date? then the rootfs ------------------------------------------------
busybox_image_begin "$image" "$recipe" '' ''
rootfs_tar "$root" "$tmp/rootfs.tar"

# --- import --------------------------------------------------------------------
import_image "$image_repo" "$image_tag" "$tmp/rootfs.tar" 'CMD ["/bin/sh"]' 'ENV PATH=/bin' \
	"LABEL io.nimbusfs.busybox=\"$bb_version\" io.nimbusfs.recipe=\"$recipe\""
check_labels "$image" "$label_bb" "$label_recipe"
grep -qF '"Cmd":["/bin/sh"]' "$tmp/body" || die "$image lacks CMD [\"/bin/sh\"] after the import"
new_id=$(inspected_id)

# --- check: run a container ------------------------------------------------------
body='{"Image":"'$image'","Cmd":["sh","-c","echo hi; ls /bin | wc -l"],"Tty":true,'
body+='"Labels":{"io.nimbusfs.check":"1"},"HostConfig":{"NetworkMode":"none"}}'
check_create "$body"
check_start
status=$(call POST "/containers/$cid/wait")
[[ $status == 200 ]] || die "check: waiting for the container failed (HTTP $status): $(engine_error)"
grep -q '"StatusCode":0' "$tmp/body" || die "check: the container failed: $(tr -d '\n' <"$tmp/body")"
status=$(call GET "/containers/$cid/logs?stdout=1&stderr=1")
[[ $status == 200 ]] || die "check: reading the container's logs failed (HTTP $status): $(engine_error)"
logs=$(tr -d '\r' <"$tmp/body" | sed 's/^ *//')
expected=$(printf 'hi\n%s' "$nbin")
[[ $logs == "$expected" ]] ||
	die "check: the container printed '$(echo "$logs" | tr '\n' ' ')', expected 'hi $nbin'"
check_remove

remove_replaced "$new_id"

echo "$me: built $image (busybox $bb_version)"
