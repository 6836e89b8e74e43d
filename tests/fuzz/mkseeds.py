#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py - writes the seed corpora under tests/fuzz/corpus/.

usage: tests/fuzz/mkseeds.py        (from anywhere; rewrites the seed files)

A handful of small valid and invalid inputs per target, taken from the
fixtures, the unit tests and the bats suites. The files are committed;
this script is how they were made (the zips especially) and adds none
that libFuzzer found: put those in by hand. Deterministic output.
"""
import base64
import io
import json
import os
import stat
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def j(obj):
    return json.dumps(obj, separators=(",", ":"))


# ---- taskdef ---------------------------------------------------------------
def taskdef():
    with open(os.path.join(ROOT, "tests/fixtures/ecs/web.json"), "rb") as f:
        put("taskdef", "web-fixture.json", f.read())
    put("taskdef", "minimal.json",
        j({"family": "f", "containerDefinitions": [{"name": "a", "image": "busybox"}]}))
    put("taskdef", "bridge-links-volumes.json", j({
        "family": "b", "networkMode": "bridge", "cpu": "256", "memory": "0.5GB",
        "volumes": [{"name": "data"}, {"name": "host", "host": {"sourcePath": "/srv"}},
                    {"name": "dv", "dockerVolumeConfiguration": {
                        "scope": "shared", "autoprovision": True, "driver": "local",
                        "driverOpts": {"type": "tmpfs"}, "labels": {"k": "v"}}}],
        "containerDefinitions": [
            {"name": "db", "image": "busybox", "essential": False, "memory": 64,
             "mountPoints": [{"sourceVolume": "data", "containerPath": "/d"}],
             "healthCheck": {"command": ["CMD", "true"], "interval": 5, "timeout": 2,
                             "retries": 1, "startPeriod": 0}},
            {"name": "app", "image": "busybox", "links": ["db:database"],
             "command": ["sh", "-c", "sleep 1"], "entryPoint": ["/bin/sh"],
             "portMappings": [{"containerPort": 80, "hostPort": 0},
                              {"containerPort": 53, "protocol": "udp"}],
             "volumesFrom": [{"sourceContainer": "db", "readOnly": True}],
             "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}],
             "dockerLabels": {"a": "b"}, "stopTimeout": 5,
             "linuxParameters": {"initProcessEnabled": True},
             "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
             "secrets": [{"name": "PW", "valueFrom": "db-password"}],
             "environment": [{"name": "X", "value": "1"}]}]}))
    put("taskdef", "host-mode.json", j({
        "family": "h", "networkMode": "host", "containerDefinitions": [
            {"name": "a", "image": "busybox", "portMappings": [{"containerPort": 8080}]}]}))
    put("taskdef", "describe-form.json", j({
        "taskDefinition": {
            "taskDefinitionArn": "arn:aws:ecs:local:000000000000:task-definition/web:1",
            "family": "web", "revision": 1, "status": "ACTIVE",
            "compatibilities": ["EC2", "FARGATE"], "registeredAt": 1700000000.5,
            "containerDefinitions": [{"name": "a", "image": "x", "cpu": 0,
                                      "essential": True, "portMappings": [],
                                      "environment": [], "mountPoints": [],
                                      "volumesFrom": [], "systemControls": []}],
            "volumes": [], "placementConstraints": []},
        "tags": [{"key": "team", "value": "shop"}]}))
    put("taskdef", "bad-syntax.json", '{"family": "web",\n  "containerDefinitions": [}\n')
    put("taskdef", "bad-empty-containers.json", '{"family": "web", "containerDefinitions": []}')
    put("taskdef", "bad-cycle.json", j({"family": "f", "containerDefinitions": [
        {"name": "a", "image": "x", "dependsOn": [{"containerName": "b", "condition": "START"}]},
        {"name": "b", "image": "x", "dependsOn": [{"containerName": "a", "condition": "START"}]}]}))
    put("taskdef", "bad-memory.json", j({"family": "f", "containerDefinitions": [
        {"name": "a", "image": "x", "memory": "lots"}]}))


# ---- run_task --------------------------------------------------------------
def run_task():
    put("run_task", "family", "web\n")
    put("run_task", "family-rev", "web:3\n")
    put("run_task", "arn",
        "arn:aws:ecs:local:000000000000:task-definition/web:2\n")
    put("run_task", "runtask.json", j({
        "taskDefinition": "web:1", "count": 2, "startedBy": "me", "group": "g",
        "tags": [{"key": "k", "value": "v"}],
        "overrides": {"containerOverrides": [
            {"name": "app", "command": ["echo", "hi"], "cpu": 32, "memory": 64,
             "memoryReservation": 32, "environment": [{"name": "A", "value": "2"},
                                                     {"name": "B", "value": "3"}]},
            {"name": "side", "environment": [{"name": "C"}]}]}}))
    put("run_task", "bad-inline.json", j({"taskDefinition": {"family": "x"}}))
    put("run_task", "bad-count.json", j({"taskDefinition": "web", "count": 11}))
    put("run_task", "bad-override.json", j({"taskDefinition": "web", "overrides": {
        "containerOverrides": [{"name": "nope"}]}}))
    put("run_task", "bad-two-lines", "web\nweb:2\n")
    put("run_task", "bad-rev", "web:0\n")


# ---- fnconfig_json -----------------------------------------------------------
def fnconfig_json():
    # The first byte of an input also picks whether the function starts
    # with a runtime and handler (odd) or without (even): '{' is odd.
    put("fnconfig_json", "create.json", j({
        "FunctionName": "fn", "Runtime": "provided.al2023", "Handler": "function.handler",
        "Timeout": 30, "MemorySize": 256, "Description": "d",
        "Environment": {"Variables": {"A1": "x", "B": "y z"}},
        "EphemeralStorage": {"Size": 1024}, "Architectures": ["arm64"]}))
    put("fnconfig_json", "get-output.json", """{
  "FunctionName": "fn",
  "FunctionArn": "arn:aws:lambda:local:000000000000:function:fn",
  "Runtime": "python3.12",
  "Role": "arn:aws:iam::000000000000:role/nimbusfs-lambda",
  "Handler": "app.handler",
  "CodeSize": 0,
  "Description": "",
  "Timeout": 3,
  "MemorySize": 128,
  "LastModified": "2024-01-01T00:00:00.000+0000",
  "CodeSha256": "",
  "Version": "$LATEST",
  "TracingConfig": {"Mode": "PassThrough"},
  "PackageType": "Zip",
  "Architectures": ["x86_64"],
  "EphemeralStorage": {"Size": 512},
  "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/fn"}
}
""")
    put("fnconfig_json", "image.json", j({"PackageType": "Image",
                                           "Code": {"ImageUri": "local/busybox:latest"}}))
    put("fnconfig_json", "state-record.json", j({
        "name": "fn", "runtime": "nodejs20.x", "handler": "index.handler", "description": "",
        "role": "", "timeout": 3, "memory_mb": 128, "ephemeral_mb": 512,
        "reserved_concurrency": 10, "image": "", "architecture": "x86_64",
        "env": {"K": "v"}, "code_sha256": "", "code_size": 0, "last_modified_sec": 0,
        "last_modified_nsec": 0, "state": "", "state_reason": "", "state_reason_code": "",
        "layers": [{"name": "01-deps.zip", "code_size": 10, "code_sha256": ""}]}))
    put("fnconfig_json", "bad-type.json", '{"Timeout": "3"}\n')
    put("fnconfig_json", "bad-unknown.json", '{"Foo": 1}\n')
    put("fnconfig_json", "bad-syntax.json", '{"Timeout": 3,,}\n')
    put("fnconfig_json", "empty-vpc.json", j({"VpcConfig": {"SubnetIds": [],
                                                             "SecurityGroupIds": []},
                                               "Tags": {}}))


# ---- fnconfig_env ------------------------------------------------------------
def fnconfig_env():
    put("fnconfig_env", "simple", "GREETING=hi\nOTHER=2\n")
    put("fnconfig_env", "quoted",
        "# comment\nexport A1='single # kept'\nB2=\"dq \\n \\t \\\" \\\\ end\"\n\n"
        "C3=unquoted # comment\nML=\"line1\nline2\"\n")
    put("fnconfig_env", "duplicate", "A1=x\nB=y\nA1=z\n")
    put("fnconfig_env", "empty", "")
    put("fnconfig_env", "bad-reserved", "AWS_REGION=x\n")
    put("fnconfig_env", "bad-key", "1A=x\n")
    put("fnconfig_env", "bad-unterminated", "A1=\"open\n")
    put("fnconfig_env", "bad-big", "BIG=" + "x" * 4100 + "\n")


# ---- fnconfig_field: first byte picks the field ------------------------------
def fnconfig_field():
    fields = ["runtime", "handler", "timeout", "memory", "ephemeral", "environment",
              "concurrency", "image", "description", "architecture", "name"]
    vals = {
        "runtime": ["provided.al2023\n", "python2.7\n", "cobol\n"],
        "handler": ["function.handler\n", "a b\n"],
        "timeout": ["30\n", "901\n", "-1\n", "3x\n"],
        "memory": ["256\n", "127\n"],
        "ephemeral": ["1024\n", "99999999999999999999\n"],
        "environment": ["A1=x\nB=y\n", "AWS_REGION=x\n"],
        "concurrency": ["0\n", "1001\n"],
        "image": ["local/busybox:latest\n", "UPPER:bad\n"],
        "description": ["hello there\n", "\n"],
        "architecture": ["arm64\n", "x86_64\n", "mips\n"],
        "name": ["my-fn_1", "bad name", "x" * 65],
    }
    for i, f in enumerate(fields):
        for k, v in enumerate(vals[f]):
            put("fnconfig_field", "%s-%d" % (f, k), bytes([i]) + v.encode())


# ---- lambda_zip --------------------------------------------------------------
def mkzip(entries, method=zipfile.ZIP_DEFLATED):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", method) as z:
        for name, kind, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.create_system = 3
            mode = {"dir": stat.S_IFDIR | 0o755, "link": stat.S_IFLNK | 0o777,
                    "exec": stat.S_IFREG | 0o755, "file": stat.S_IFREG | 0o644}[kind]
            info.external_attr = mode << 16
            z.writestr(info, data)
    return bio.getvalue()


def lambda_zip():
    put("lambda_zip", "function.zip", mkzip([
        ("bootstrap", "exec", "#!/bin/sh\nexec ./function.sh\n"),
        ("function.sh", "exec", "handler() { echo ok; }\n")]))
    put("lambda_zip", "tree-stored.zip", mkzip([
        ("lib/", "dir", ""), ("lib/x.py", "file", "print(1)\n"),
        ("lib/sub/y.py", "file", "y = 2\n"), ("./lib//z.txt", "file", "z")],
        zipfile.ZIP_STORED))
    put("lambda_zip", "symlink.zip", mkzip([
        ("lib/", "dir", ""), ("lib/real", "file", "data"), ("link", "link", "lib/real"),
        ("lib/up", "link", "../link")]))
    put("lambda_zip", "bad-dotdot.zip", mkzip([("../evil", "file", "x")]))
    put("lambda_zip", "bad-absolute.zip", mkzip([("/etc/evil", "file", "x")]))
    put("lambda_zip", "bad-link-escape.zip", mkzip([("out", "link", "../../etc/passwd")]))
    put("lambda_zip", "bad-below-file.zip", mkzip([("a", "file", "x"), ("a/b", "file", "y")]))
    put("lambda_zip", "bad-duplicate.zip", mkzip([("a", "file", "x"), ("./a", "file", "y")]))
    put("lambda_zip", "bad-bomb.zip", mkzip([("zeros", "file", bytes(2 * 1024 * 1024))]))
    good = mkzip([("f.txt", "file", "hello hello hello hello")], zipfile.ZIP_STORED)
    at = 30 + len("f.txt") + 1  # a byte of the stored data
    put("lambda_zip", "bad-crc.zip", good[:at] + bytes([good[at] ^ 1]) + good[at + 1:])
    put("lambda_zip", "bad-truncated.zip", good[: len(good) // 2])
    put("lambda_zip", "bad-not-zip", "not a zip file\n")


# ---- lambda_zip_tree: kind byte, name NUL, content NUL per entry --------------
def lambda_zip_tree():
    FILE, EXEC, DIR, LINK, STORE, NOATTR = 0, 1, 2, 3, 4, 8

    def tree(*entries):
        return b"".join(bytes([k]) + n.encode() + b"\0" + c.encode() + b"\0"
                        for k, n, c in entries)

    put("lambda_zip_tree", "function", tree((EXEC, "bootstrap", "#!/bin/sh\n"),
                                            (FILE, "function.sh", "handler() { :; }\n")))
    put("lambda_zip_tree", "dirs", tree((DIR, "lib/", ""), (FILE | STORE, "lib/a.py", "a"),
                                        (FILE, "lib/sub/b.py", "b"), (NOATTR, "plain", "p")))
    put("lambda_zip_tree", "links", tree((DIR, "lib/", ""), (FILE, "lib/real", "x"),
                                         (LINK, "l1", "lib/real"), (LINK, "lib/l2", "../l1"),
                                         (LINK, "d", "lib"), (LINK, "d2", "d/real")))
    put("lambda_zip_tree", "bad-link-chain", tree((LINK, "up", ".."), (LINK, "x", "up/etc")))
    put("lambda_zip_tree", "bad-link-via-dir", tree((DIR, "a/", ""), (LINK, "a/b", "../.."),
                                                    (FILE, "c", "z")))
    put("lambda_zip_tree", "bad-below-link", tree((LINK, "d", "lib"), (DIR, "lib/", ""),
                                                  (FILE, "d/x", "y")))
    put("lambda_zip_tree", "bad-dup", tree((FILE, "a", "1"), (FILE, "./a", "2")))
    put("lambda_zip_tree", "bad-names", tree((FILE, "/abs", ""), (FILE, "a\\b", ""),
                                             (FILE, "ctl\x01", ""), (FILE, "a//./b/../c", "")))


# ---- ec2_run -----------------------------------------------------------------
def ec2_run():
    put("ec2_run", "empty", "\n")
    put("ec2_run", "full.json", j({
        "ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.small", "MinCount": 1,
        "MaxCount": 1, "UserData": base64.b64encode(b"#!/bin/sh\necho hi\n").decode(),
        "SubnetId": "subnet-0123456789abcdef0", "PrivateIpAddress": "10.77.4.20",
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"},
                                                  {"Key": "empty", "Value": ""}]},
            {"ResourceType": "volume", "Tags": [{"Key": "v", "Value": "1"}]}],
        "ClientToken": "tok-1", "KeyName": "k", "DryRun": False,
        "SecurityGroupIds": ["sg-0123456789abcdef0"], "Monitoring": {"Enabled": False},
        "NetworkInterfaces": [], "Ipv6AddressCount": 0, "Placement": {}}))
    put("ec2_run", "counts.json", j({"MinCount": 2, "MaxCount": 25}))
    put("ec2_run", "bad-counts.json", '{"MinCount": 3, "MaxCount": 2}\n')
    put("ec2_run", "bad-type.json", '{"InstanceType": "t3.mega"}\n')
    put("ec2_run", "bad-userdata.json", '{"UserData": "#!/bin/sh echo not base64"}\n')
    put("ec2_run", "bad-ami.json", '{"ImageId": "ubuntu:22.04"}\n')
    put("ec2_run", "bad-unknown.json", '{"Count": 2}\n')
    put("ec2_run", "bad-syntax.json", '{"ImageId": }\n')
    put("ec2_run", "bad-strtype.json", '{"MinCount": "1"}\n')
    put("ec2_run", "bad-tagkey.json", j({"TagSpecifications": [
        {"ResourceType": "instance", "Tags": [{"Key": "aws:x", "Value": "1"}]}]}))


# ---- ec2_user_data: first byte is the limit (255: 16 KiB) --------------------
def ec2_user_data():
    put("ec2_user_data", "script", b"\xff" + base64.b64encode(b"#!/bin/sh\necho hi\n"))
    put("ec2_user_data", "padded", b"\xff" + b"QQ==")
    put("ec2_user_data", "wrapped", b"\xff" + base64.encodebytes(bytes(range(200))))
    put("ec2_user_data", "spaces", b"\xff" + b"aGVs bG8g\nd29y bGQ=\n")
    put("ec2_user_data", "over-limit", b"\x04" + b"aGVsbG8=")
    put("ec2_user_data", "bad-char", b"\xff" + b"aGVs*G8=")
    put("ec2_user_data", "bad-pad", b"\xff" + b"Q===")
    put("ec2_user_data", "bad-length", b"\xff" + b"QUJ")


# ---- ec2_cidr ----------------------------------------------------------------
def ec2_cidr():
    for i, t in enumerate(["10.77.0.0/16", "10.1.2.0/24", "192.168.0.16/28", "10.1.0.1/24",
                           "10.0.0.0/8", "10.0.0.0/29", "010.1.0.0/16", "10.1.0.0/16 ",
                           "10.77.4.20", "255.255.255.255", "1.2.3", "256.1.1.1", "+1.2.3.4"]):
        put("ec2_cidr", "seed-%02d" % i, t)


# ---- verbs: first byte picks ctl / desired / state / root ctl; 0xff splits writes
def verbs():
    seeds = [
        (0, b"stop\n"), (0, b"stop going away now\n"), (0, b"kill\n"), (0, b"kill SIGTERM\n"),
        (0, b"kill 15\n"), (0, b"kill HUP\n"), (0, b"kill SIGBOGUS\n"), (0, b"frobnicate\n"),
        (0, b"st\xffop\nkill 9\n"), (0, b"kill\xfe\xffstop\n"),
        (1, b"STOPPED\n"), (1, b"RUNNING\n"), (1, b"PAUSED"),
        (2, b"start\n"), (2, b"stop --force\n"), (2, b"reboot\n"), (2, b"terminate\n"),
        (2, b"explode\n"), (3, b"resync\n"), (3, b"bogus\n"),
    ]
    for i, (f, data) in enumerate(seeds):
        put("verbs", "seed-%02d" % i, bytes([f]) + data)


# ---- router ------------------------------------------------------------------
def router():
    for i, p in enumerate([
            "ecs/task-definitions/web/1.json", "ecs/tasks/0123456789abcdef0123456789abcdef/ctl",
            "ecs/tasks/0123456789abcdef0123456789abcdef/containers/app/logs",
            "ecs/secrets/db-password", "lambda/fn/code/lib/sub/x.py", "lambda/fn/layers/01.zip",
            "lambda/fn/config.json", "ec2/i-0123456789abcdef0/tags/Name",
            "ec2/subnets/subnet-0123456789abcdef0/cidr", "ec2/images/ami-0123456789abcdef0",
            "README", "./ecs/../ecs//tasks", "lambda/\x00fn/\xffx"]):
        put("router", "seed-%02d" % i, p)


# ---- dictionaries: the string literals of the parsers, as JSON tokens --------
def dict_esc(w):
    return '"%s"' % w.replace("\\", "\\\\").replace('"', '\\"')


def dict_from(target, sources, extra=()):
    """extra: entries already in libFuzzer's dictionary syntax."""
    import re
    words = set(extra)
    for src in sources:
        with open(os.path.join(ROOT, src), encoding="utf-8") as f:
            for w in re.findall(r'"([A-Za-z][A-Za-z0-9_.:/-]{1,40})"', f.read()):
                words.add(dict_esc('"%s"' % w))
    d = os.path.join(HERE, "dict")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, target + ".dict"), "w") as f:
        f.write("# %s: tests/fuzz/mkseeds.py made this from %s\n"
                % (target, ", ".join(sources) or "hand-picked tokens"))
        for w in sorted(words):
            f.write(w + "\n")


JSON_TOKENS = tuple(dict_esc(t) for t in ("{", "}", "[", "]", ":", ",", "null", "true",
                                          "false", "0", "-1", "1e9", '""', "\\u0000",
                                          "\\ud800"))


def dicts():
    dict_from("taskdef", ["backend/ecs/taskdef.c", "backend/ecs/taskdef_container.c",
                          "backend/ecs/taskdef_graph.c", "backend/ecs/taskdef_walk.c"],
              JSON_TOKENS)
    dict_from("run_task", ["backend/ecs/task_run.c"],
              JSON_TOKENS + (dict_esc(":task-definition/"), dict_esc("arn:")))
    dict_from("fnconfig_json", ["backend/lambda/fnconfig.c", "backend/lambda/fnconfig_check.c",
                                "backend/lambda/fnconfig_field.c",
                                "backend/lambda/fnconfig_json.c",
                                "backend/lambda/fnconfig_store.c"], JSON_TOKENS)
    dict_from("ec2_run", ["backend/ec2/request.c", "backend/ec2/ec2types.c"],
              JSON_TOKENS + tuple(dict_esc(w) for w in ("ami-", "subnet-", "sg-", "aws:")))
    dict_from("lambda_zip_tree", [], ('"\\x00"', '"\\x00\\x03"', '".."', '"../"', '"/"',
                                      '"./"', '"lib/"'))
    dict_from("lambda_zip", [], ('"PK\\x03\\x04"', '"PK\\x01\\x02"', '"PK\\x05\\x06"',
                                 '"PK\\x06\\x06"', '"PK\\x07\\x08"', '".."', '"/"', '"./"'))


if __name__ == "__main__":
    dicts()
    taskdef()
    run_task()
    fnconfig_json()
    fnconfig_env()
    fnconfig_field()
    lambda_zip()
    lambda_zip_tree()
    ec2_run()
    ec2_user_data()
    ec2_cidr()
    verbs()
    router()
