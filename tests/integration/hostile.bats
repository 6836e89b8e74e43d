#!/usr/bin/env bats
# Hostile input, everywhere objects are made or values written: names with
# newlines, control characters, non-UTF-8 bytes, `..` and 4 KiB lengths;
# 100 MB writes; JSON nested 100,000 deep and strings holding \u0000; zip
# variants lambda.bats does not try; concurrent writers to one file; reads
# at odd offsets; and text that a shell would run. Every refusal is a clear
# errno with one readable line in last-error, nothing is lost or half
# applied, the daemon stays up and nothing user-supplied runs on the host.

load ../ec2_helper

setup_file() {
	TOOLS="$BATS_FILE_TMPDIR"
	export TOOLS
	# op.py CALL PATH: one system call on PATH, its result as "OK" or
	# "CALL ERRNO" (the call that failed: open, write, close, mkdir...).
	# put and append write stdin with as few write(2)s as it takes, then
	# close; a write error stops there (as echo and dd do).
	cat >"$TOOLS/op.py" <<'EOF'
import errno, os, sys

def fail(call, e):
    print(call, errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)

call, path = sys.argv[1], sys.argv[2]
simple = {"mkdir": os.mkdir, "rmdir": os.rmdir, "unlink": os.unlink}
if call in simple:
    try:
        simple[call](path)
    except OSError as e:
        fail(call, e)
elif call == "rename":
    try:
        os.rename(path, sys.argv[3])
    except OSError as e:
        fail(call, e)
elif call == "cutshort":
    # START (argv[3]), then up to 100 MB of blanks: one descriptor, no dups
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, sys.argv[3].encode())
        blanks = b" " * 65536
        for _ in range(1600):
            os.write(fd, blanks)
    except OSError as e:
        try:
            os.close(fd)
        except OSError as e2:
            fail("write %s, close" % errno.errorcode.get(e.errno), e2)
        fail("write", e)
    os.close(fd)
elif call in ("creat", "put", "append"):
    data = sys.stdin.buffer.read() if call != "creat" else b""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if call == "append" else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        fail("open", e)
    n = 0
    try:
        while n < len(data):
            n += os.write(fd, data[n:])
    except OSError as e:
        try:
            os.close(fd)
        except OSError:
            pass
        fail("write", e)
    try:
        os.close(fd)
    except OSError as e:
        fail("close", e)
else:
    sys.exit("op.py: unknown call " + call)
print("OK")
EOF
	# readable.py FILE: a last-error a person can read: one line of
	# UTF-8 text without control characters, at most 1 KiB.
	cat >"$TOOLS/readable.py" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
def bad(why):
    sys.exit("%s: %r" % (why, b[:160]))
if not b.strip():
    bad("empty")
if not b.endswith(b"\n") or b.count(b"\n") != 1:
    bad("not exactly one line")
try:
    t = b.decode("utf-8")
except UnicodeDecodeError as e:
    bad("not UTF-8 (%s)" % e)
if any((ord(c) < 0x20 and c not in "\t\n") or ord(c) == 0x7F for c in t):
    bad("holds a control character")
if len(b) > 1100:
    bad("%d bytes long" % len(b))
EOF
	# strictjson.py FILE...: each file is JSON in strict UTF-8.
	cat >"$TOOLS/strictjson.py" <<'EOF'
import json, sys
for p in sys.argv[1:]:
    try:
        json.loads(open(p, "rb").read().decode("utf-8"))
    except Exception as e:
        sys.exit("%s: %s" % (p, e))
EOF
	# oddread.py FILE: reads FILE whole, then slices of it at odd offsets
	# and sizes, each on a fresh descriptor (pread) and on one descriptor
	# (lseek and read); every slice must equal the same slice of the whole.
	cat >"$TOOLS/oddread.py" <<'EOF'
import os, sys
p = sys.argv[1]
with open(p, "rb") as f:
    whole = f.read()
n = len(whole)
if os.stat(p).st_size != n:
    sys.exit("%s: st_size %d, read %d bytes" % (p, os.stat(p).st_size, n))
offs = sorted({0, 1, 2, 3, 5, 7, 13, 127, 511, 1023, 4093, 4095, 4096, 4097, 8191,
               65535, 65536, 65537, n // 3, n // 2 + 1, max(n - 1, 0), n, n + 1, n + 4096})
sizes = [1, 2, 3, 7, 100, 4095, 4097, 65537, 1 << 20]
fd = os.open(p, os.O_RDONLY)
try:
    for off in offs:
        for size in sizes:
            g = os.open(p, os.O_RDONLY)
            try:
                got = os.pread(g, size, off)
            finally:
                os.close(g)
            if got != whole[off:off + size]:
                sys.exit("%s: pread(%d, %d) gave %d bytes that differ" % (p, off, size, len(got)))
            os.lseek(fd, off, os.SEEK_SET)
            got = os.read(fd, size)
            if got != whole[off:off + size]:
                sys.exit("%s: lseek %d, read %d gave %d bytes that differ" % (p, off, size, len(got)))
finally:
    os.close(fd)
EOF
}

setup() {
	# Set before the mount, which may fail: teardown removes $PWN* (an
	# empty PWN there once removed the caller's files).
	H="$BATS_TEST_TMPDIR"
	# A host path a shell would create if user text ever reached one.
	PWN="/tmp/nimbusfs-pwned-$$-$BATS_TEST_NUMBER"
	rm -f "${PWN:?}"*
	nb_mount --ec2-image local/busybox:latest
	nb_engine_ready
	nb_paths
	S="$MNT/ecs/secrets"
}

teardown() {
	[ "${#FAILS[@]}" -eq 0 ] || no_fails || true
	nb_cleanup
	[ -z "${PWN:-}" ] || rm -f "${PWN:?}"*
}

# py: Debian's python3 without site packages starts in a few ms (a pyenv
# shim takes a hundred or more, and the checks call it often).
py() {
	if [ -x /usr/bin/python3 ]; then
		/usr/bin/python3 -S "$@"
	else
		python3 "$@"
	fi
}

op() {
	py "$TOOLS/op.py" "$@"
}

# putb FILE TEXT: writes TEXT, with printf %b escapes (\n, \x01, \0), to FILE.
putb() {
	printf '%b' "$2" | op put "$1"
}

# expect ERRNO-RE CMD...: CMD (an op or putb) fails with an errno
# matching the extended regex ERRNO-RE, e.g. 'EINVAL|ENAMETOOLONG'.
expect() {
	local want=$1 out
	shift
	out="$("$@")" && { echo "accepted: $* (wanted $want)"; return 1; }
	[[ "$out" =~ ^[a-z]+\ ($want)$ ]] || { echo "$*: wanted $want, got: $out"; return 1; }
}

ok() {
	local out
	out="$("$@")" || { echo "refused: $*: $out"; return 1; }
}

# soft CMD...: runs a check; a failure is noted in FAILS and the test goes
# on, so that one run lists every file that misbehaves. no_fails ends it.
FAILS=()
soft() {
	local out
	out="$("$@" 2>&1)" || FAILS+=("$(printf '%q ' "$@" | cut -c1-300): ${out:0:600}")
}

no_fails() {
	[ "${#FAILS[@]}" -eq 0 ] && return 0
	printf '%d failed checks:\n' "${#FAILS[@]}"
	printf -- '- %s\n' "${FAILS[@]}"
	FAILS=()
	return 1
}

# end_checks [--pwn]: how a test ends: the daemon is alive, (--pwn) no
# shell ran on the host, and no soft check failed.
end_checks() {
	alive
	[ "${1:-}" != --pwn ] || no_pwn
	no_fails
}

# n_instances: how many instances ec2/ lists.
n_instances() {
	ls "$E" | grep -c '^i-' || true
}

# alive: the daemon runs and the mount answers.
alive() {
	kill -0 "$NB_PID" || { echo "nimbusfs died; its log:"; cat "$NB_LOG"; return 1; }
	timeout 5 grep -q '^nimbusfs ' "$MNT/version" || { echo "the mount does not answer"; return 1; }
}

# readable DIR: DIR/last-error says why, in one readable line.
readable() {
	py "$TOOLS/readable.py" "$1/last-error"
}

# rep TEXT N: TEXT N times.
rep() {
	local s
	if [[ "$1" =~ ^[a-z0-9]$ ]]; then
		head -c "$2" /dev/zero | tr '\0' "$1"
	else
		printf -v s '%*s' "$2" ''
		printf '%s' "${s// /$1}"
	fi
}

# no_pwn: no file a shell would have made on the host.
no_pwn() {
	local f
	for f in "$PWN"* "/proc/$NB_PID/cwd/pwn"; do
		[ ! -e "$f" ] || { echo "a shell ran on the host: $f exists"; return 1; }
	done
	# and the daemon never started a process of its own
	[ -z "$(ps --ppid "$NB_PID" -o pid= 2>/dev/null)" ] || { ps --ppid "$NB_PID" -f; return 1; }
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$NB_PID/status"
}

# rss_bounded KB WHEN: the daemon's RSS is under 64 MB. A sanitizer build
# keeps freed memory in its quarantine, so only the plain build is held to it.
rss_bounded() {
	echo "# daemon VmRSS $1 kB $2" >&3
	[ -z "${NIMBUSFS_SANITIZER:-}" ] || return 0
	[ "$1" -lt 65536 ] || { echo "VmRSS $1 kB $2"; return 1; }
}

# wait_all PID...: waits on each, at most 60 s in all (never a bare `wait`:
# it waits for nimbusfs); a writer still blocked then is killed, and fails.
wait_all() {
	local p hung=0
	for p in "$@"; do
		nb_wait 60 nb_gone "$p" || { echo "writer $p still blocked"; kill -9 "$p" 2>/dev/null; hung=1; }
		wait "$p" 2>/dev/null || true
	done
	[ "$hung" = 0 ]
}

# NAMES: names no object may have anywhere (newline, control characters,
# non-UTF-8 bytes, blanks, a shell's syntax, 100 three-byte characters,
# 1000 bytes). Lengths past 255 reach nimbusfs: FUSE names go to 1024.
hostile_names() {
	NAMES=($'a\nb' $'\n' $'\xff' $'\xff\xfe' $'caf\xe9' $'a\x01b' $'a\x1b[31m' $'a\tb' $'a\rb'
		$'a\x7fb' 'a b' ' ' '$(touch pwn)' '`touch pwn`' ';touch' "$(rep € 100)" "$(rep a 1000)")
}

# new_instance: launches one default instance and waits until it runs.
new_instance() {
	launch "${1:-}"
	running "$I"
}

register() {
	printf '%s\n' "$1" | op put "$TD/register"
}

task_status_is() {
	[ "$(cat "$T/status" 2>/dev/null)" = "$1" ]
}

# ---- names ----

@test "hostile: the root refuses new names and bad ctl lines; its read-only files stay so" {
	local n l
	hostile_names
	for n in x "${NAMES[@]}" ...; do
		soft expect EPERM op mkdir "$MNT/$n"
		soft expect 'EACCES|EPERM' op creat "$MNT/$n"
	done
	soft expect ENAMETOOLONG op mkdir "$MNT/$(rep a 4096)"
	for l in 'resync\x01' "resync; touch $PWN" "\$(touch $PWN)" '\xff' 'resync\x1b[2J' "$(rep a 4096)"; do
		soft expect EINVAL putb "$MNT/ctl" "$l\n"
		soft readable "$MNT"
	done
	for l in version README health metrics events last-error; do
		soft expect EACCES putb "$MNT/$l" 'x\n'
	done
	grep -q '^nimbusfs ' "$MNT/version"
	run ls "$MNT"
	[ "$output" = "$(printf 'README\nctl\nec2\necs\nevents\nhealth\nlambda\nlast-error\nmetrics\nversion')" ]
	end_checks --pwn
}

@test "hostile: lambda/ mkdir refuses every hostile name with EINVAL and a readable reason" {
	local n
	hostile_names
	for n in "${NAMES[@]}" ... a..b -x. "$(rep a 65)" "$(rep a 255)" "$(rep a 256)"; do
		soft expect EINVAL op mkdir "$L/$n"
		soft readable "$L"
		alive
	done
	soft expect EEXIST op mkdir "$L/.."
	soft expect EEXIST op mkdir "$L/."
	soft expect ENAMETOOLONG op mkdir "$L/$(rep a 4096)"
	run ls -A "$L"
	[ "$output" = last-error ]
	[ -z "$(ls -A "$STATE/lambda" 2>/dev/null)" ]
	# the longest good name still works, and rmdir of hostile names is ENOENT
	soft ok op mkdir "$L/$(rep a 64)"
	soft ok op rmdir "$L/$(rep a 64)"
	for n in $'a\nb' $'\xff' ..x; do
		soft expect ENOENT op rmdir "$L/$n"
	done
	# a FunctionName in config.json is this directory's name or EINVAL
	ok op mkdir "$L/fn"
	for n in '../fn2' 'fn/x' '.' 'fn\\u0000' 'fn\\n' "$(rep a 4096)"; do
		soft expect EINVAL putb "$L/fn/config.json" "{\"FunctionName\": \"$n\"}\n"
		soft readable "$L/fn"
	done
	run ls -A "$L"
	[ "$output" = "$(printf 'fn\nlast-error')" ]
	end_checks --pwn
}

@test "hostile: ecs/secrets/ refuses every hostile name at creat; nothing is left behind" {
	local n before
	hostile_names
	before="$(ls -A "$STATE/secrets" 2>/dev/null | wc -l)"
	for n in "${NAMES[@]}" 'a/b' "$(rep a 513)" "$(rep a 1000)"; do
		[[ "$n" == */* ]] && continue # not a name: the kernel walks it
		soft expect EINVAL op creat "$S/$n"
		soft expect EINVAL putb "$S/$n" 's3cr3t\n'
		soft readable "$S"
		alive
	done
	soft expect ENAMETOOLONG putb "$S/$(rep a 4096)" 'x\n'
	run ls -A "$S"
	[ "$output" = last-error ]
	[ "$(ls -A "$STATE/secrets" 2>/dev/null | wc -l)" -eq "$before" ]
	# legal if odd: dots, 512 characters
	soft ok putb "$S/..." 'dots\n'
	soft ok putb "$S/$(rep b 512)" 'long\n'
	[ "$(cat "$S/...")" = dots ]
	[ "$(cat "$S/$(rep b 512)")" = long ]
	for n in $'a\nb' $'\xff'; do
		soft expect ENOENT op unlink "$S/$n"
	done
	end_checks
}

@test "hostile: ec2/images/ refuses every hostile AMI name; nothing is left behind" {
	local n
	hostile_names
	for n in "${NAMES[@]}" ami- ami-1234567 ami-1234567g ami-ABCDEF12 'ami-12345678 ' $'ami-12345678\n' \
		ami-123456789 "ami-$(rep 0 18)" '../ami-12345678' "ami-$(rep 1 251)"; do
		[[ "$n" == */* ]] && continue
		soft expect EINVAL putb "$E/images/$n" 'local/busybox:latest\n'
		soft readable "$E/images"
		alive
	done
	soft expect ENAMETOOLONG putb "$E/images/$(rep a 4096)" 'local/busybox:latest\n'
	soft expect EPERM op mkdir "$E/images/ami-12345678"
	run ls -A "$E/images"
	[ "$output" = last-error ]
	[ -z "$(ls -A "$STATE/ec2-images" 2>/dev/null)" ]
	soft ok putb "$E/images/ami-12345678" 'local/busybox:latest\n'
	end_checks --pwn
}

@test "hostile: ec2 tags refuse keys with control characters, non-UTF-8 bytes or over 128 characters" {
	local n
	new_instance
	for n in $'a\nb' $'\n' $'\xff' $'\xff\xfe' $'caf\xe9' $'a\x01b' $'a\x1b[31m' $'a\tb' $'a\x7fb' \
		"$(rep a 129)" "$(rep € 129)" "$(rep a 1000)" aws:x aws:; do
		soft expect EINVAL putb "$I/tags/$n" 'v\n'
		soft readable "$I/tags"
		alive
	done
	soft expect ENAMETOOLONG putb "$I/tags/$(rep a 4096)" 'v\n'
	soft expect EACCES putb "$I/tags/last-error" 'v\n'
	soft expect EPERM op mkdir "$I/tags/d"
	run ls -A "$I/tags"
	[ "$output" = last-error ]
	# odd but legal keys: blanks, dots, a shell's syntax, 128 characters
	for n in 'a b' ... '$(touch pwn)' ';touch' "$(rep a 128)" "$(rep € 128)"; do
		soft ok putb "$I/tags/$n" 'v\n'
	done
	[ "$(ls -A "$I/tags" | grep -vcx last-error)" -eq 6 ]
	py "$TOOLS/strictjson.py" "$I/describe.json"
	[ "$(jq '.Tags | length' "$I/describe.json")" -eq 6 ]
	# keys that cannot be file names, through TagSpecifications
	for n in a/b .. . last-error 'a\\u0000b' 'a\0b' "$(rep k 129)"; do
		soft expect EINVAL putb "$E/run" "{\"TagSpecifications\": [{\"ResourceType\": \"instance\",
			\"Tags\": [{\"Key\": \"$n\", \"Value\": \"v\"}]}]}\n"
		soft readable "$E"
	done
	[ "$(n_instances)" -eq 1 ]
	end_checks --pwn
}

@test "hostile: task definition families with /, .., control characters or 256 bytes are EINVAL; 255 bytes work" {
	local fam
	for fam in 'a/b' '..' '.' 'a\nb' 'a\u0001b' '\u00ff' 'a b' "\$(touch $PWN)" ';touch' \
		"$(rep a 256)" "$(rep a 4096)" register last-error ''; do
		soft expect EINVAL register "{\"family\": \"$fam\", \"containerDefinitions\":
			[{\"name\": \"app\", \"image\": \"local/busybox:latest\"}]}"
		soft readable "$TD"
		alive
	done
	# a raw newline and a raw non-UTF-8 byte inside the JSON string
	soft expect EINVAL putb "$TD/register" '{"family": "a\nb", "containerDefinitions": [{"name": "app", "image": "i"}]}\n'
	soft expect EINVAL putb "$TD/register" '{"family": "a\xffb", "containerDefinitions": [{"name": "app", "image": "i"}]}\n'
	run ls -A "$TD"
	[ "$output" = "$(printf 'last-error\nregister')" ]
	# 255 is the longest family, and its directory works
	soft ok register "{\"family\": \"$(rep f 255)\", \"containerDefinitions\":
		[{\"name\": \"app\", \"image\": \"local/busybox:latest\"}]}"
	jq -e '.taskDefinition.revision == 1' "$TD/$(rep f 255)/1.json"
	# references to definitions that cannot exist are refused, nothing runs
	for fam in "x; touch $PWN" "\$(touch $PWN)" '../x' 'x:1/../2' $'\xff' "$(rep a 4096)" 'x:-1' 'x:99999999999999999999'; do
		soft expect 'EINVAL|ENOENT' putb "$TASKS/run" "$fam\n"
		soft readable "$TASKS"
	done
	[ ! -e "$TASKS/latest" ]
	end_checks --pwn
}

@test "hostile: lambda layers refuse hostile names; subnets, ec2/ and secrets/ make nothing by mkdir or creat" {
	local n
	mkdir "$L/f"
	for n in $'01-\n.zip' $'01-\xff.zip' $'01-a\x01.zip' '1-x.zip' '01-x.zi' '01-.zip' '01-a b.zip' \
		"01-$(rep a 300).zip" ..zip; do
		soft expect EINVAL op creat "$L/f/layers/$n"
		soft readable "$L/f/layers"
	done
	run ls -A "$L/f/layers"
	[ "$output" = last-error ]
	for n in x $'a\nb' $'\xff' subnet-0123456789abcdef0; do
		soft expect EPERM op mkdir "$E/subnets/$n"
		soft expect 'EACCES|EPERM' op creat "$E/subnets/$n"
		soft expect EPERM op mkdir "$E/$n"
		soft expect 'EACCES|EPERM' op creat "$E/$n"
		soft expect EPERM op mkdir "$S/$n"
		soft expect ENOENT op rmdir "$E/subnets/$n"
	done
	soft expect EPERM op mkdir "$E/i-0123456789abcdef0"
	[ "$(ls "$E/subnets" | grep -c '^subnet-')" -eq 1 ]
	end_checks
}

@test "hostile: subnets/create and ec2/run refuse hostile blocks and ids; nothing is made" {
	local c
	new_instance
	for c in '"10.93.57.0/28\\n"' "\"10.93.57.0/28; touch $PWN\"" '"../x"' '"10.93.57.0/99999999999999999999"' \
		'"4294967306.0.0.0/24"' '"10.93.57.0/-1"' '" 10.93.57.0/28"' '"010.093.057.000/28"' \
		'"0x0a.93.57.0/28"' '"10.93.57.0/28/28"' 10 null '["10.93.57.0/28"]' "\"$(rep 1 4096)\""; do
		soft expect EINVAL putb "$E/subnets/create" "{\"CidrBlock\": $c}\n"
		soft readable "$E/subnets"
		alive
	done
	[ "$(ls "$E/subnets" | grep -c '^subnet-')" -eq 1 ]
	for c in '"ImageId": "ami-../../x"' '"ImageId": "ami-12345678; touch x"' '"SubnetId": "subnet-../x"' \
		"\"SubnetId\": \"\$(touch $PWN)\"" '"InstanceType": "t3.micro\\n"' '"InstanceType": "../../x"' \
		'"MinCount": 1e999' '"MaxCount": -1' "\"ImageId\": \"$(rep a 4096)\""; do
		soft expect EINVAL putb "$E/run" "{$c}\n"
		soft readable "$E"
	done
	[ "$(n_instances)" -eq 1 ]
	end_checks --pwn
}

@test "hostile: a \\u0000 or a raw NUL in a JSON string is EINVAL, never a name silently cut short" {
	local before
	new_instance
	mkdir "$L/f"
	echo h.x >"$L/f/handler"
	# families, container names and variables
	soft expect EINVAL register '{"family": "nul\u0000evil", "containerDefinitions": [{"name": "app", "image": "local/busybox:latest"}]}'
	soft expect EINVAL register '{"family": "nul2", "containerDefinitions": [{"name": "app\u0000x", "image": "local/busybox:latest"}]}'
	soft expect EINVAL register '{"family": "nul3", "containerDefinitions": [{"name": "app", "image": "local/busybox:latest",
		"environment": [{"name": "A", "value": "x\u0000y"}]}]}'
	soft readable "$TD"
	run ls -A "$TD"
	[ "$output" = "$(printf 'last-error\nregister')" ]
	# a function's handler and variables
	soft expect EINVAL putb "$L/f/config.json" '{"Handler": "a\\u0000b"}\n'
	soft expect EINVAL putb "$L/f/config.json" '{"Environment": {"Variables": {"AB": "x\\u0000y"}}}\n'
	soft readable "$L/f"
	[ "$(cat "$L/f/handler")" = h.x ]
	[ -z "$(cat "$L/f/environment")" ]
	# instance tags and subnets
	before="$(n_instances)"
	soft expect EINVAL putb "$E/run" '{"TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "N\\u0000x", "Value": "v"}]}]}\n'
	soft expect EINVAL putb "$E/run" '{"KeyName": "k\\u0000x"}\n'
	soft readable "$E"
	[ "$(n_instances)" -eq "$before" ]
	soft expect EINVAL putb "$E/subnets/create" '{"CidrBlock": "10.93.57.0/28\\u0000x"}\n'
	soft readable "$E/subnets"
	[ "$(ls "$E/subnets" | grep -c '^subnet-')" -eq 1 ]
	# a raw NUL byte inside a JSON string is no better
	soft expect EINVAL putb "$TD/register" '{"family": "raw\0nul", "containerDefinitions": [{"name": "app", "image": "local/busybox:latest"}]}\n'
	soft expect EINVAL putb "$L/f/config.json" '{"Handler": "a\0b"}\n'
	soft expect EINVAL putb "$E/run" '{"TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "N\0x", "Value": "v"}]}]}\n'
	soft expect EINVAL putb "$E/subnets/create" '{"CidrBlock": "10.93.57.0/28\0x"}\n'
	soft [ "$(cat "$L/f/handler")" = h.x ]
	soft [ "$(n_instances)" -eq "$before" ]
	soft [ "$(ls "$E/subnets" | grep -c '^subnet-')" -eq 1 ]
	soft [ "$(ls -A "$TD")" = "$(printf 'last-error\nregister')" ]
	# a run-command line and a RunTask family
	soft expect EINVAL putb "$I/run-command" '{"commands": ["echo a\\u0000b"]}\n'
	soft expect 'EINVAL|ENOENT' putb "$TASKS/run" '{"taskDefinition": "x\\u0000y"}\n'
	end_checks
}

@test "hostile: a raw NUL byte in a one-line request (tasks/run, ctl, state) is EINVAL; nothing runs" {
	new_instance
	nb_register '{"family": "web", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["true"]}]}'
	# the part before the NUL names a real family, verb or command
	soft expect EINVAL putb "$TASKS/run" 'web\0junk\n'
	soft readable "$TASKS"
	soft expect EINVAL putb "$MNT/ctl" 'resync\0junk\n'
	soft expect EINVAL putb "$I/state" 'stop\0junk\n'
	soft [ ! -e "$TASKS/latest" ]
	soft [ "$(cat "$I/state")" = running ]
	# a task's ctl: `stop\0junk` must not stop it, nor `kill\0junk` kill it
	nb_register '{"family": "nap", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["sleep", "300"], "stopTimeout": 2}]}'
	local t
	t="$(nb_run_task nap)"
	nb_wait 30 grep -qx RUNNING "$TASKS/$t/status"
	soft expect EINVAL putb "$TASKS/$t/ctl" 'stop\0junk\n'
	soft expect EINVAL putb "$TASKS/$t/ctl" 'kill\0junk\n'
	soft readable "$TASKS/$t"
	sleep 1
	soft [ "$(cat "$TASKS/$t/desired")" = RUNNING ]
	soft [ "$(cat "$TASKS/$t/status")" = RUNNING ]
	end_checks
}

@test "hostile: JSON text that is not UTF-8 is EINVAL; every JSON file stays strict UTF-8" {
	new_instance
	mkdir "$L/f"
	soft expect EINVAL putb "$TD/register" '{"family": "utf", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "environment": [{"name": "X", "value": "a\xffb"}]}]}\n'
	soft readable "$TD"
	[ ! -e "$TD/utf" ]
	soft expect EINVAL putb "$E/run" '{"KeyName": "\xfe"}\n'
	soft expect EINVAL putb "$E/run" '{"TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "K", "Value": "a\xffb"}]}]}\n'
	soft readable "$E"
	[ "$(n_instances)" -eq 1 ]
	soft expect EINVAL putb "$L/f/config.json" '{"Description": "\xc3\x28"}\n'
	soft readable "$L/f"
	# values that end up in JSON: a tag's and a variable's
	soft expect EINVAL putb "$I/tags/Name" '\xff\n'
	soft expect EINVAL putb "$L/f/environment" 'BB=\xff\n'
	py "$TOOLS/strictjson.py" "$I/describe.json" "$L/f/config.json"
	end_checks
}

@test "hostile: rename is refused and loses nothing; unlink and rmdir of hostile names are ENOENT" {
	new_instance
	mkdir "$L/f"
	echo keep >"$S/keep"
	echo v >"$I/tags/keep"
	soft expect 'ENOSYS|EPERM|EINVAL|EXDEV' op rename "$S/keep" "$S/"$'bad\nname'
	soft expect 'ENOSYS|EPERM|EINVAL|EXDEV' op rename "$S/keep" "$S/good"
	soft expect 'ENOSYS|EPERM|EINVAL|EXDEV' op rename "$I/tags/keep" "$I/tags/"$'\xff'
	soft expect 'ENOSYS|EPERM|EINVAL|EXDEV' op rename "$L/f" "$L/g"
	soft expect 'ENOSYS|EPERM|EINVAL|EXDEV' op rename "$S/keep" "$H/stolen"
	[ "$(cat "$S/keep")" = keep ]
	[ "$(cat "$I/tags/keep")" = v ]
	[ -d "$L/f" ] && [ ! -e "$L/g" ]
	soft expect ENOENT op unlink "$I/tags/"$'\xff'
	soft expect ENOENT op unlink "$E/images/"$'ami-12345678\n'
	soft expect ENOENT op rmdir "$E/i-0123456789abcdef0"
	soft expect 'ENOENT|EINVAL' op rmdir "$E/"$'i-\xff'
	soft expect ENOENT op rmdir "$TASKS/"$'\n'
	end_checks
}

# ---- size ----

# big_write FILE: 100 MB of zeros to FILE is EFBIG in write(2), and
# last-error says it was too large.
big_write() {
	local out d
	d="$(dirname "$1")"
	out="$(timeout 30 dd if=/dev/zero of="$1" bs=1M count=100 2>&1)" && { echo "took 100 MB"; return 1; }
	[[ "$out" == *"error writing"*"File too large"* ]] || { echo "dd: $out"; return 1; }
	readable "$d" || return 1
	grep -Eqi 'at most|limit|too large|larger|smaller|budget' "$d/last-error" ||
		{ echo "last-error does not say it was too large: $(cat "$d/last-error")"; return 1; }
}

@test "hostile: 100 MB written to any file is EFBIG at once, changes nothing, and memory stays bounded" {
	local f n counts before
	new_instance
	nb_make_fn f
	echo 7 >"$L/f/timeout"
	echo 'AA=1' >"$L/f/environment"
	echo keep >"$S/db"
	echo keep >"$I/tags/Name"
	echo local/busybox:latest >"$E/images/ami-12345678"
	nb_register '{"family": "web", "containerDefinitions": [{"name": "app", "image": "local/busybox:latest"}]}'
	sha="$(cat "$L/f/code-sha256")"
	counts() {
		echo "$(ls "$E" | grep -c '^i-') $(ls "$E/subnets" | grep -c '^subnet-') $(ls -A "$TASKS" | wc -l)" \
			"$(ls "$TD" | wc -l) $(ls "$TD/web" | wc -l) $(ls "$S" | wc -l) $(ls "$E/images" | wc -l)" \
			"$(ls "$I/tags" | wc -l) $(ls "$L/f/layers" | wc -l) $(ls "$L" | wc -l)"
	}
	before="$(counts)"
	SECONDS=0
	for f in "$MNT/ctl" "$TD/register" "$TASKS/run" "$S/db" "$S/newsecret" \
		"$L/f/invoke" "$L/f/invoke-async" "$L/f/code.zip" "$L/f/layers/01-big.zip" "$L/f/config.json" \
		"$L/f/environment" "$L/f/handler" "$L/f/timeout" "$L/f/runtime" "$L/f/memory-size" \
		"$L/f/reserved-concurrency" "$L/f/image" "$L/f/warm" \
		"$E/run" "$E/subnets/create" "$E/images/ami-12345678" "$E/images/ami-87654321" \
		"$I/tags/Name" "$I/tags/Big" "$I/state" "$I/run-command"; do
		soft big_write "$f"
		alive
	done
	[ "$SECONDS" -lt 60 ]
	rss_bounded "$(rss_kb)" "after 26 files were given 100 MB"
	# nothing changed, nothing was made
	[ "$(cat "$L/f/timeout")" = 7 ]
	[ "$(cat "$L/f/environment")" = AA=1 ]
	[ "$(cat "$L/f/handler")" = function.handler ]
	[ "$(cat "$L/f/code-sha256")" = "$sha" ]
	[ "$(cat "$S/db")" = keep ]
	[ "$(cat "$I/tags/Name")" = keep ]
	[ "$(cat "$E/images/ami-12345678")" = local/busybox:latest ]
	[ "$(cat "$I/state")" = running ]
	[ "$(counts)" = "$before" ] || { echo "before: $before"; echo "after:  $(counts)"; false; }
	no_fails
}

@test "hostile: a request cut short by EFBIG is not committed at close" {
	local n
	new_instance
	mkdir "$L/f"
	echo 7 >"$L/f/timeout"
	nb_register '{"family": "fam", "containerDefinitions": [{"name": "app", "image": "local/busybox:latest",
		"command": ["true"]}]}'
	# cut_short START FILE: START, then 100 MB of blanks, on one descriptor
	# (a shell's pipeline would close duplicates of it, and the close of a
	# duplicate commits what it holds); the write is EFBIG, close says
	# nothing more, and last-error says why.
	cut_short() {
		local out
		out="$(op cutshort "$2" "$1")"
		[[ "$out" =~ ^write\ EFBIG(, close EFBIG)?$ ]] || { echo "$out"; return 1; }
		grep -Eqi 'at most|limit|too large' "$(dirname "$2")/last-error" ||
			{ echo "last-error: $(cat "$(dirname "$2")/last-error")"; return 1; }
	}
	# each writes a good start, then blanks past the limit: write(2) says
	# EFBIG, so the request must not happen at close either
	soft cut_short 9 "$L/f/timeout"
	soft cut_short "stop --force" "$I/state"
	soft cut_short "" "$E/run"
	soft cut_short fam "$TASKS/run"
	sleep 1
	soft [ "$(cat "$L/f/timeout")" = 7 ]
	soft [ "$(cat "$I/state")" = running ]
	soft [ "$(n_instances)" -eq 1 ]
	soft [ ! -e "$TASKS/latest" ]
	end_checks
}

@test "hostile: 32 descriptors each given 100 MB for small value files hold little memory" {
	local i f fds=() files
	new_instance
	mkdir "$L/f"
	echo keep >"$S/db"
	echo local/busybox:latest >"$E/images/ami-12345678"
	files=("$L/f/timeout" "$L/f/handler" "$L/f/environment" "$L/f/runtime" "$I/tags/Name" "$I/state"
		"$E/images/ami-12345678" "$S/db")
	for ((i = 0; i < 32; i++)); do
		f="${files[i % ${#files[@]}]}"
		exec {fd}>"$f"
		fds+=("$fd")
		head -c 100M /dev/zero >&"$fd" 2>/dev/null || true
	done
	local rss
	rss="$(rss_kb)"
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	alive
	rss_bounded "$rss" "with 32 descriptors open"
	[ "$(cat "$S/db")" = keep ]
	[ "$(cat "$I/state")" = running ]
	no_fails
}

# ---- depth ----

@test "hostile: JSON nested 100,000 deep is EINVAL on every JSON file; the daemon survives" {
	local f d
	new_instance
	mkdir "$L/f"
	py - "$H" <<'EOF'
import sys
d = sys.argv[1]
n = 100000
open(d + "/deep-array.json", "w").write("[" * n + "]" * n + "\n")
open(d + "/deep-object.json", "w").write('{"a":' * n + "1" + "}" * n + "\n")
open(d + "/deep-open.json", "w").write("[" * n + "\n")
open(d + "/deep-field.json", "w").write('{"family": "x", "containerDefinitions": [{"name": "a", "image": "b", "command": '
                                        + "[" * n + "]" * n + "}]}\n")
EOF
	for f in "$TD/register" "$TASKS/run" "$L/f/config.json" "$L/f/invoke" "$L/f/invoke-async" \
		"$E/run" "$E/subnets/create" "$I/run-command"; do
		for d in array object open field; do
			# a line that starts with [ is a shell command to run-command
			[[ "$f" == */run-command && "$d" =~ array|open ]] && continue
			soft expect 'EINVAL|EFBIG' op put "$f" <"$H/deep-$d.json"
			soft readable "$(dirname "$f")"
			alive
		done
	done
	[ "$(n_instances)" -eq 1 ]
	[ ! -e "$TASKS/latest" ]
	run ls -A "$TD"
	[ "$output" = "$(printf 'last-error\nregister')" ]
	no_fails
}

# ---- packages ----

# zip_refused ZIP: cp ZIP to $L/z/code.zip fails with a package's errno,
# says why, and keeps the previous code ($sha, $H/good.zip).
zip_refused() {
	local out
	out="$(timeout 30 cp "$1" "$L/z/code.zip" 2>&1)" && { echo "accepted"; return 1; }
	[[ "$out" =~ (Invalid argument|File too large|Bad message|Operation not supported) ]] || { echo "$out"; return 1; }
	grep -q "previous code is kept" "$L/z/last-error" || { echo "last-error: $(cat "$L/z/last-error")"; return 1; }
	readable "$L/z" || return 1
	[ "$(cat "$L/z/code-sha256")" = "$sha" ] || { echo "code-sha256 changed"; return 1; }
	cmp "$H/good.zip" "$L/z/code.zip"
}

@test "hostile: zip variants lambda.bats does not try are refused; the previous code is kept" {
	local z sha
	mkdir "$L/z"
	"$ROOT/tests/mkzip.py" "$H/good.zip" "function.sh=handler() { echo 1; }"
	cp "$H/good.zip" "$L/z/code.zip"
	sha="$(cat "$L/z/code-sha256")"
	mkdir "$H/z"
	py - "$H/z" <<'EOF'
import os, stat, struct, sys, zipfile, zlib
d = sys.argv[1]
F, L, D = stat.S_IFREG | 0o644, stat.S_IFLNK | 0o777, stat.S_IFDIR | 0o755
ok = ("function.sh", F, b"handler() { echo 1; }\n")
def z(name, entries):
    with zipfile.ZipFile(os.path.join(d, name), "w", zipfile.ZIP_DEFLATED) as f:
        for ename, mode, data in entries:
            i = zipfile.ZipInfo(ename)
            i.compress_type = zipfile.ZIP_DEFLATED
            i.external_attr = mode << 16
            f.writestr(i, data)
z("backslash.zip", [ok, ("..\\..\\evil.sh", F, b"x")])
# a symlink whose parent is a symlink to the package root: a/b is ../
z("parentlink.zip", [ok, ("a", L, b"."), ("a/b", L, b".."), ("a/b/evil.sh", F, b"x")])
z("chain.zip", [ok, ("sub/", D, b""), ("s", L, b"sub/../.."), ("s/evil.sh", F, b"x")])
z("loop.zip", [ok, ("l1", L, b"l2"), ("l2", L, b"l1"), ("l1/x", F, b"x")])
z("fifo.zip", [ok, ("pipe", stat.S_IFIFO | 0o644, b"")])
z("chardev.zip", [ok, ("null", stat.S_IFCHR | 0o666, b"")])
z("newline.zip", [ok, ("a\nb.sh", F, b"x")])
z("ctrl.zip", [ok, ("a\x1b[2Jb", F, b"x")])
z("longname.zip", [ok, ("a" * 4096, F, b"x")])
z("longpart.zip", [ok, ("d/" + "b" * 300, F, b"x")])
z("emptyname.zip", [ok, ("", F, b"x")])
z("dup.zip", [ok, ("function.sh", F, b"handler() { echo 2; }\n")])
z("filedir.zip", [ok, ("x", F, b"1"), ("x/y", F, b"2")])
# no entry over 1 MiB, 260 MiB in all
z("budget.zip", [ok] + [("z%03d" % i, F, bytes(1 << 20)) for i in range(260)])
# one entry, its headers lying about its size or its CRC
def one(name, raw, usize, crc, count=1):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    cdata = c.compress(raw) + c.flush()
    n = name.encode()
    out = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(cdata), usize, len(n), 0) + n + cdata
    cd = b""
    for k in range(count):  # count > 1: central entries sharing one local entry
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, 0, 8, 0, 0, crc, len(cdata), usize,
                          len(n), 0, 0, 0, 0, F << 16, 0) + n
    return out + cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(cd), len(out), 0)
rnd = os.urandom(1 << 20)
open(os.path.join(d, "liesize.zip"), "wb").write(one("big", bytes(20 << 20), 100, zlib.crc32(bytes(20 << 20))))
open(os.path.join(d, "liecrc.zip"), "wb").write(one("r", rnd, len(rnd), zlib.crc32(rnd) ^ 1))
open(os.path.join(d, "overlap.zip"), "wb").write(one("o", rnd, len(rnd), zlib.crc32(rnd), 300))
with zipfile.ZipFile(os.path.join(d, "enc.zip"), "w") as f:
    f.writestr(ok[0], ok[2])
b = bytearray(open(os.path.join(d, "enc.zip"), "rb").read())
b[6] |= 1
b[b.find(b"PK\x01\x02") + 8] |= 1
open(os.path.join(d, "enc.zip"), "wb").write(bytes(b))
EOF
	for z in "$H"/z/*.zip; do
		soft zip_refused "$z"
		alive
	done
	run ls -A "$L/z/code"
	[ "$output" = function.sh ]
	[ ! -e "$H/evil.sh" ] && [ ! -e /tmp/evil.sh ] && [ ! -e "$STATE/evil.sh" ] && [ ! -e "$STATE/lambda/evil.sh" ]
	# the same as a layer: refused, nothing left behind
	run cp "$H/z/parentlink.zip" "$L/z/layers/01-evil.zip"
	[ "$status" -ne 0 ]
	run ls -A "$L/z/layers"
	[ "$output" = last-error ]
	# setuid and world-writable bits do not survive into code/
	py - "$H/modes.zip" <<'EOF'
import stat, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as f:
    for name, mode in (("function.sh", 0o644), ("suid", 0o4777), ("sgid", 0o2775)):
        i = zipfile.ZipInfo(name)
        i.external_attr = (stat.S_IFREG | mode) << 16
        f.writestr(i, "#!/bin/sh\n")
EOF
	cp "$H/modes.zip" "$L/z/code.zip"
	[[ "$(stat -c %a "$L/z/code/suid")" =~ ^(555|444)$ ]]
	[[ "$(stat -c %a "$L/z/code/sgid")" =~ ^(555|444)$ ]]
	[ "$(stat -c %a "$L/z/code/function.sh")" = 444 ]
	[ -z "$(find "$STATE/lambda/z" -perm /6002 2>/dev/null)" ]
	end_checks
}

# ---- control characters in values ----

@test "hostile: values with control characters: tags, images, handler and runtime refuse them" {
	local v
	new_instance
	mkdir "$L/f"
	echo keep >"$I/tags/Name"
	echo local/busybox:latest >"$E/images/ami-12345678"
	echo h.x >"$L/f/handler"
	for v in 'a\x01b' 'a\x1b[31mred' 'a\tb' 'a\rb' 'a\x7fb' 'a\0b' 'line1\nline2' 'a\x08b'; do
		soft expect EINVAL putb "$I/tags/Name" "$v\n"
		soft readable "$I/tags"
		soft expect EINVAL putb "$E/images/ami-12345678" "$v\n"
		soft readable "$E/images"
		soft expect EINVAL putb "$L/f/handler" "$v\n"
		soft expect EINVAL putb "$L/f/runtime" "$v\n"
		soft readable "$L/f"
		alive
	done
	[ "$(cat "$I/tags/Name")" = keep ]
	[ "$(cat "$E/images/ami-12345678")" = local/busybox:latest ]
	[ "$(cat "$L/f/handler")" = h.x ]
	[ "$(jq -r '.Tags[] | select(.Key == "Name") | .Value' "$I/describe.json")" = keep ]
	# a value past its limit, by one
	soft expect EINVAL putb "$I/tags/Name" "$(rep v 257)\n"
	soft expect EINVAL putb "$E/images/ami-12345678" "local/$(rep b 250)\n"
	soft expect EINVAL putb "$L/f/handler" "$(rep h 129)\n"
	[ "$(cat "$I/tags/Name")" = keep ]
	end_checks
}

@test "hostile: secrets keep control characters byte for byte; NUL is EINVAL, changes nothing and makes no new secret or AMI" {
	local v
	for v in 'a\x01b\x1b[2J\rc\td\x7f\n' '\xff\xfe bytes\n' 'no newline' '\n\n\n' "$(rep x 65535)"; do
		soft ok putb "$S/s" "$v"
		cmp "$S/s" <(printf '%b' "$v")
		[ "$(stat -c %s "$S/s")" -eq "$(printf '%b' "$v" | wc -c)" ]
	done
	echo keep >"$S/s"
	soft expect EINVAL putb "$S/s" 'a\0b\n'
	soft expect EINVAL putb "$S/s" '\0'
	soft expect EFBIG putb "$S/s" "$(rep x 65537)"
	soft readable "$S"
	[ "$(cat "$S/s")" = keep ]
	# a new secret whose first write is refused is not made
	soft expect EINVAL putb "$S/fresh" 'a\0b\n'
	[ ! -e "$S/fresh" ] || { echo "an empty secret was left behind"; false; }
	soft expect EINVAL putb "$E/images/ami-0000000a" 'a b\n'
	[ ! -e "$E/images/ami-0000000a" ] || { echo "an AMI without an image was left behind"; false; }
	end_checks
}

@test "hostile: control characters in a function's variables round-trip or are refused, never mangled" {
	local before
	mkdir "$L/f"
	echo 'AA=1' >"$L/f/environment"
	if out="$(putb "$L/f/environment" 'AA=1\nBB=a\x01b\x1b[31m\rc\td\n')"; then
		# accepted: config.json has the exact value, and the file reads back as it writes
		[ "$(jq -r '.Environment.Variables.BB' "$L/f/config.json")" = $'a\x01b\x1b[31m\rc\td' ]
		before="$(jq -c .Environment "$L/f/config.json")"
		cp "$L/f/environment" "$H/env"
		soft ok op put "$L/f/environment" <"$H/env"
		[ "$(jq -c .Environment "$L/f/config.json")" = "$before" ]
	else
		[[ "$out" == "write EINVAL" ]]
		[ "$(cat "$L/f/environment")" = AA=1 ]
	fi
	# the same through config.json: the two ways agree
	echo 'AA=1' >"$L/f/environment"
	if putb "$L/f/config.json" '{"Environment": {"Variables": {"CC": "\\u0001\\u001b"}}}\n' >/dev/null; then
		[ "$(jq -r '.Environment.Variables.CC' "$L/f/config.json")" = $'\x01\x1b' ]
		cp "$L/f/environment" "$H/env"
		soft ok op put "$L/f/environment" <"$H/env"
		[ "$(jq -r '.Environment.Variables.CC' "$L/f/config.json")" = $'\x01\x1b' ]
	else
		[ "$(cat "$L/f/environment")" = AA=1 ]
	fi
	py "$TOOLS/strictjson.py" "$L/f/config.json"
	alive
}

# ---- concurrency ----

# race FILE VALUE...: one writer per value, all at once, each `>` its value.
race() {
	local f=$1 v pids=()
	shift
	for v in "$@"; do
		(printf '%s\n' "$v" >"$f") 2>/dev/null &
		pids+=($!)
	done
	wait_all "${pids[@]}"
}

# append_race FILE LINE...: one writer per line, all at once, each `>>` it.
append_race() {
	local f=$1 v pids=()
	shift
	for v in "$@"; do
		(printf '%s\n' "$v" >>"$f") &
		pids+=($!)
	done
	wait_all "${pids[@]}"
}

# one_of FILE VALUE...: FILE holds exactly one of the values, whole.
one_of() {
	local f=$1 got v
	shift
	got="$(cat "$f")"
	for v in "$@"; do
		[ "$got" = "$v" ] && return 0
	done
	echo "$f holds none of the values written: ${got:0:200}... (${#got} bytes)"
	return 1
}

@test "hostile: 20 concurrent writers to one file leave one value, whole" {
	local round i secrets=() tags=() timeouts=() handlers=() envs=() c
	new_instance
	mkdir "$L/f"
	for i in $(seq 1 20); do
		c="$(printf "\\x$(printf %x $((96 + i)))")"
		secrets+=("$(rep "$c" 30000)")
		tags+=("tag-$i-$(rep "$c" 200)")
		timeouts+=("$((i * 10))")
		handlers+=("h$i.$(rep "$c" 100)")
		envs+=("KEY$i=$(rep "$c" 150)")
	done
	for round in 1 2 3; do
		race "$S/one" "${secrets[@]}"
		one_of "$S/one" "${secrets[@]}"
		race "$I/tags/one" "${tags[@]}"
		one_of "$I/tags/one" "${tags[@]}"
		race "$L/f/timeout" "${timeouts[@]}"
		one_of "$L/f/timeout" "${timeouts[@]}"
		race "$L/f/handler" "${handlers[@]}"
		one_of "$L/f/handler" "${handlers[@]}"
		race "$L/f/environment" "${envs[@]}"
		one_of "$L/f/environment" "${envs[@]}"
		alive
	done
	# what the files say is what the aggregates say
	[ "$(jq -r '.Tags[] | select(.Key == "one") | .Value' "$I/describe.json")" = "$(cat "$I/tags/one")" ]
	[ "$(jq -r .Timeout "$L/f/config.json")" = "$(cat "$L/f/timeout")" ]
	[ "$(jq -r .Handler "$L/f/config.json")" = "$(cat "$L/f/handler")" ]
	no_fails
}

@test "hostile: 20 concurrent >> to a function's environment add every variable" {
	local round i
	mkdir "$L/f"
	for round in 1 2; do
		echo >"$L/f/environment"
		append_race "$L/f/environment" $(for i in $(seq 1 20); do echo "KEY$i=v$i"; done)
		[ "$(grep -c '^KEY[0-9]*=v[0-9]*$' "$L/f/environment")" -eq 20 ] ||
			{ echo "round $round: $(grep -c . "$L/f/environment") of 20 variables kept"; false; }
	done
	end_checks
}

@test "hostile: 20 concurrent >> to a secret keep every line" {
	echo first >"$S/log"
	append_race "$S/log" line-{1..20}
	[ "$(grep -c '^line-[0-9]*$' "$S/log")" -eq 20 ] || { echo "$(grep -c '^line-' "$S/log") of 20 lines kept"; false; }
	[ "$(head -n 1 "$S/log")" = first ]
	end_checks
}

@test "hostile: concurrent mkdir of one function makes it once; of twenty, all twenty" {
	local i pids=() res="$H/res"
	mkdir "$res"
	for i in $(seq 1 20); do
		(op mkdir "$L/same" >"$res/$i") &
		pids+=($!)
	done
	wait_all "${pids[@]}"
	[ "$(cat "$res"/* | grep -cx OK)" -eq 1 ]
	[ "$(cat "$res"/* | grep -cx 'mkdir EEXIST')" -eq 19 ]
	pids=()
	for i in $(seq 1 20); do
		(mkdir "$L/fn$i") &
		pids+=($!)
	done
	wait_all "${pids[@]}"
	[ "$(ls "$L" | grep -c '^fn[0-9]*$')" -eq 20 ]
	[ "$(ls "$STATE/lambda" | grep -c '^fn[0-9]*$')" -eq 20 ]
	end_checks
}

# ---- reads at odd offsets ----

@test "hostile: reads at odd offsets of README, version, describe.json and console equal the whole" {
	local ud
	ud="$(printf '#!/bin/sh\ni=0\nwhile [ $i -lt 1500 ]; do echo "line $i $(printf %%060d $i)"; i=$((i+1)); done\n' | base64 -w0)"
	new_instance "{\"UserData\": \"$ud\"}"
	nb_wait 30 grep -qx 'exited 0' "$I/user-data-status"
	[ "$(stat -c %s "$I/console")" -eq 65536 ]
	for f in "$MNT/README" "$MNT/version" "$I/describe.json" "$I/console" "$E/subnets"/subnet-*/describe.json; do
		py "$TOOLS/oddread.py" "$f"
	done
	# dd, one byte at a time, as the acceptance says
	for f in "$MNT/README" "$I/console"; do
		cat "$f" >"$H/whole"
		for skip in 1 7 4095 4097 65530; do
			cmp <(dd if="$f" bs=1 skip="$skip" count=13 2>/dev/null) \
				<(dd if="$H/whole" bs=1 skip="$skip" count=13 2>/dev/null)
		done
	done
	end_checks
}

@test "hostile: reads at odd offsets of a task's logs and describe.json, and a function's logs, equal the whole" {
	nb_register '{"family": "chatty", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "stopTimeout": 2,
		"command": ["sh", "-c", "i=0; while [ $i -lt 1200 ]; do echo \"line $i $(printf %060d $i)\"; i=$((i+1)); done"]}]}'
	T="$TASKS/$(nb_run_task chatty)"
	nb_wait 60 task_status_is STOPPED
	[ "$(grep -c '^\[app\] line' "$T/logs")" -eq 1200 ]
	nb_make_fn f 'echo "log line for $1" >&2; echo "{}"'
	echo '{"a":1}' >"$L/f/invoke"
	echo '{"a":2}' >"$L/f/invoke"
	for f in "$T/logs" "$T/describe.json" "$T/containers/app/logs" "$TD/chatty/1.json" "$L/f/logs" \
		"$L/f/config.json"; do
		py "$TOOLS/oddread.py" "$f"
	done
	end_checks
}

# ---- nothing reaches a shell ----

@test "hostile: an ECS task's command, variables, secrets and RunTask fields reach no shell on the host" {
	echo "\$(touch $PWN-secret)" >"$S/inj"
	nb_register "{\"family\": \"inj\", \"networkMode\": \"bridge\", \"containerDefinitions\": [
		{\"name\": \"args\", \"image\": \"local/busybox:latest\", \"essential\": false,
		 \"command\": [\"echo\", \"\$(touch $PWN-c1)\", \"\`touch $PWN-c2\`\", \"; touch $PWN-c3\", \"| touch $PWN-c4\"]},
		{\"name\": \"env\", \"image\": \"local/busybox:latest\", \"command\": [\"env\"],
		 \"dependsOn\": [{\"containerName\": \"args\", \"condition\": \"COMPLETE\"}],
		 \"environment\": [{\"name\": \"X\", \"value\": \"\$(touch $PWN-env)\"}],
		 \"secrets\": [{\"name\": \"S\", \"valueFrom\": \"inj\"}],
		 \"dockerLabels\": {\"l\": \"\$(touch $PWN-label)\"}}]}"
	T="$TASKS/$(nb_run_task "{\"taskDefinition\": \"inj\", \"startedBy\": \"\$(touch $PWN-sb)\",
		\"group\": \"; touch $PWN-group\"}")"
	[ -d "$T" ]
	nb_wait 60 task_status_is STOPPED
	# the words arrived as they were written: arguments, not shell text
	grep -qxF "[args] \$(touch $PWN-c1) \`touch $PWN-c2\` ; touch $PWN-c3 | touch $PWN-c4" "$T/logs"
	grep -qxF "[env] X=\$(touch $PWN-env)" "$T/logs"
	grep -qxF "[env] S=\$(touch $PWN-secret)" "$T/logs"
	# a secret's name cannot reach a file outside ecs/secrets
	# (refused at register, or the task fails to start)
	if register '{"family": "steal", "networkMode": "bridge", "containerDefinitions": [{"name": "app",
		"image": "local/busybox:latest", "command": ["env"],
		"secrets": [{"name": "S", "valueFrom": "../../../../etc/hostname"}]}]}' >/dev/null; then
		T="$TASKS/$(nb_run_task steal)"
		nb_wait 60 task_status_is STOPPED
		[ "$(cat "$T/stop-code")" = TaskFailedToStart ]
		! grep -qF "S=$(cat /etc/hostname)" "$T/logs"
	else
		readable "$TD"
	fi
	end_checks --pwn
}

@test "hostile: EC2 run-command, user data, tags and key names run in the instance only, never on the host" {
	local ud out
	ud="$(printf '#!/bin/sh\ntouch %s-ud\n' "$PWN" | base64 -w0)"
	new_instance "{\"UserData\": \"$ud\", \"KeyName\": \"\$(touch $PWN-key)\", \"ClientToken\": \"\`touch $PWN-ct\`\",
		\"TagSpecifications\": [{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"\$(touch pwn)\", \"Value\": \"; touch $PWN-tv\"}]}]}"
	nb_wait 30 grep -qx 'exited 0' "$I/user-data-status"
	echo "\$(touch $PWN-tag)" >"$I/tags/x"
	out="$(rc "touch $PWN-rc; echo done")"
	[ "$(jq -r .Status <<<"$out")" = Success ]
	out="$(rc "{\"commands\": [\"\`touch $PWN-bt\`\", \"echo \$(touch $PWN-cs)\"]}")"
	[ "$(jq -r .Status <<<"$out")" = Success ]
	# they ran in the instance, as the instance's own shell runs them ...
	out="$(rc "ls $PWN-ud $PWN-rc $PWN-bt $PWN-cs")"
	[ "$(jq -r .Status <<<"$out")" = Success ] || { echo "$out"; false; }
	# ... while the tags and key name were only stored
	out="$(rc "ls $PWN-key $PWN-ct $PWN-tv $PWN-tag / /pwn 2>&1; true")"
	[ "$(jq -r .StandardOutputContent <<<"$out" | grep -c 'No such file')" -eq 5 ]
	jq -e --arg k "\$(touch $PWN-key)" '.KeyName == $k' "$I/describe.json"
	[ "$(cat "$I/tags/\$(touch pwn)")" = "; touch $PWN-tv" ]
	[ ! -e /pwn ] && [ ! -e "$MNT/pwn" ]
	end_checks --pwn
}

@test "hostile: a function's handler, variables and events reach no shell on the host" {
	local out
	nb_make_fn f 'echo "{\"got\": $1, \"x\": \"$XX\"}"'
	echo "XX=\$(touch $PWN-env)" >"$L/f/environment"
	out="$(nb_invoke f "\"\$(touch $PWN-ev)\"")"
	[ "$(jq -r .got <<<"$out")" = "\$(touch $PWN-ev)" ]
	[ "$(jq -r .x <<<"$out")" = "\$(touch $PWN-env)" ]
	# a handler holding a shell's syntax (no blanks, so legal) fails as a handler
	for h in ";touch\${IFS}$PWN-h;.x" "\`touch\${IFS}$PWN-h2\`.x" "x.\$(touch\${IFS}$PWN-h3)"; do
		if printf '%s\n' "$h" | op put "$L/f/handler" >/dev/null; then
			nb_invoke f '{}' >/dev/null || true
		fi
	done
	# a function name cannot be one either
	soft expect EINVAL op mkdir "$L/\$(id)"
	end_checks --pwn
}
