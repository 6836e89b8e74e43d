# nimbusfs - a FUSE filesystem that is a local cloud control plane.
# `make run` mounts it; `make test` runs every test. Both install what they need.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
MNT ?= $(CURDIR)/mnt
BUILD := build

PKGS := fuse3 libcurl libcjson libzip libcrypto
CC ?= cc
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -DNIMBUSFS_VERSION='"$(VERSION)"' -I. \
	-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wvla \
	-g -O2 -MMD -MP $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -lm

COMMON_SRC := backend/common/err.c backend/common/log.c backend/common/buf.c \
	backend/common/json.c backend/common/fdio.c backend/common/probe.c \
	backend/common/tar.c backend/common/cancel.c backend/common/index.c
ENGINE_SRC := backend/engine/engine.c backend/engine/stream.c backend/engine/containers.c backend/engine/images.c \
	backend/engine/networks.c backend/engine/exec.c backend/engine/logs.c backend/engine/volumes.c \
	backend/engine/events.c backend/engine/logline.c
STATE_SRC := backend/state/atomic.c backend/state/statedir.c backend/state/hub.c \
	backend/state/health.c backend/state/metrics.c \
	backend/state/registry.c backend/state/jobs.c
WORKLOAD_SRC := backend/workload/logcap.c backend/workload/workload.c backend/workload/capture.c \
	backend/workload/sync.c backend/workload/stop.c
ECS_SRC := backend/ecs/ecs.c backend/ecs/taskdef.c backend/ecs/taskdef_container.c \
	backend/ecs/taskdef_graph.c backend/ecs/taskdef_walk.c backend/ecs/spec.c \
	backend/ecs/spec_reply.c backend/ecs/task.c \
	backend/ecs/task_run.c backend/ecs/task_life.c backend/ecs/task_events.c \
	backend/ecs/task_logs.c backend/ecs/secrets.c backend/ecs/task_render.c \
	backend/ecs/task_stop.c
LAMBDA_SRC := backend/lambda/fnconfig.c backend/lambda/fnconfig_check.c \
	backend/lambda/fnconfig_field.c backend/lambda/fnconfig_env.c \
	backend/lambda/fnconfig_json.c backend/lambda/fnconfig_describe.c backend/lambda/fnconfig_store.c backend/lambda/package.c backend/lambda/package_names.c \
	backend/lambda/package_sha.c backend/lambda/package_unpack.c backend/lambda/function.c \
	backend/lambda/function_files.c \
	backend/lambda/deploy.c backend/lambda/deploy_commit.c backend/lambda/deploy_layers.c \
	backend/lambda/codeview.c backend/lambda/warm.c \
	backend/lambda/coldstart.c backend/lambda/invoke.c backend/lambda/reaper.c \
	backend/lambda/lifecycle.c backend/lambda/runlogs.c
EC2_SRC := backend/ec2/ec2types.c backend/ec2/netmath.c backend/ec2/request.c backend/ec2/request_tags.c backend/ec2/request_userdata.c \
	backend/ec2/ec2.c backend/ec2/subnet.c backend/ec2/instance.c backend/ec2/instance_tags.c backend/ec2/instance_run.c \
	backend/ec2/instance_life.c backend/ec2/instance_events.c backend/ec2/console.c \
	backend/ec2/runcmd.c
# The composition root: it alone knows every service.
ROOT_SRC := backend/daemon.c
BACKEND_SRC := $(COMMON_SRC) $(ENGINE_SRC) $(STATE_SRC) $(WORKLOAD_SRC) $(ECS_SRC) $(LAMBDA_SRC) $(EC2_SRC) \
	$(ROOT_SRC)
FS_SRC := fs/cli.c fs/router.c fs/inode.c fs/openfile.c fs/park.c fs/notify.c fs/lasterr.c \
	fs/node_root.c fs/node_ecs.c fs/node_ecs_tasks.c fs/node_ecs_secrets.c fs/node_lambda.c fs/node_ec2.c fs/longtxn.c fs/ops.c \
	fs/ops_dir.c
MAIN_SRC := fs/main.c

UNIT_TESTS := test_buf test_index test_json test_err test_demux test_engine test_atomic test_router \
	test_openfile test_backed test_hub test_registry test_taskdef test_spec test_logline test_logcap \
	test_secrets test_package test_deploy_recover test_fnconfig test_ec2_netmath test_ec2_request \
	test_ec2_service test_ecs_run test_events test_runlogs

# Debian packages every target needs; `make deps` installs the missing ones.
DEB_PKGS := build-essential pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev libcjson-dev \
	libzip-dev libcmocka-dev bats busybox-static docker.io curl socat jq valgrind clang-format \
	go-md2man libssl-dev libarchive-dev zip python3 gdb

.PHONY: all deps run test unit asan tsan integration bench install clean format check-format \
	engine-up engine-down images fuzz fuzz-build fuzz-bins check-sanitizers load check-layers

define objs
$(patsubst %.c,$(1)/%.o,$(2))
endef

TOOLS := $(BUILD)/tools/nbpoll $(BUILD)/tools/bench_read $(BUILD)/tools/bench_minfs \
	$(BUILD)/tools/bench_events $(BUILD)/tools/bench_ecs $(BUILD)/tools/bench_lambda \
	$(BUILD)/tools/bench_ec2 $(BUILD)/tools/bench_logs $(BUILD)/tools/bench_coldburst \
	$(BUILD)/tools/bench_objects $(BUILD)/tools/lambda-rie

all: $(BUILD)/nimbusfs $(TOOLS)

$(BUILD)/tools/nbpoll $(BUILD)/tools/bench_read: $(BUILD)/tools/%: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS)

$(BUILD)/tools/bench_minfs: tools/bench_minfs.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LDLIBS)

# The drivers share tools/benchlib.c (clocks, quantiles, a mount's files and
# waits), tools/benchraw.c (the floors' Engine API), tools/benchtask.c (ECS
# tasks on a mount) and tools/benchfn.c (Lambda functions on a mount).
BENCH_LIB_SRC := tools/benchlib.c tools/benchraw.c $(COMMON_SRC) $(ENGINE_SRC)
BENCH_ECS_SRC := tools/bench_ecs.c tools/bench_ecs_launch.c tools/bench_ecs_exit.c \
	tools/bench_ecs_idle.c tools/benchtask.c
BENCH_EC2_SRC := tools/bench_ec2.c tools/bench_ec2_launch.c tools/bench_ec2_stopstart.c \
	tools/bench_ec2_runcmd.c
BENCH_LAMBDA_SRC := tools/bench_lambda.c tools/bench_lambda_port.c tools/bench_lambda_warm.c \
	tools/bench_lambda_cold.c tools/benchfn.c
$(BUILD)/tools/bench_events: $(call objs,$(BUILD),tools/bench_events.c $(BENCH_LIB_SRC))
$(BUILD)/tools/bench_ecs: $(call objs,$(BUILD),$(BENCH_ECS_SRC) $(BENCH_LIB_SRC))
$(BUILD)/tools/bench_ec2: $(call objs,$(BUILD),$(BENCH_EC2_SRC) $(BENCH_LIB_SRC))
$(BUILD)/tools/bench_lambda: $(call objs,$(BUILD),$(BENCH_LAMBDA_SRC) $(BENCH_LIB_SRC))
$(BUILD)/tools/bench_coldburst: $(call objs,$(BUILD),tools/bench_coldburst.c tools/benchfn.c \
	$(BENCH_LIB_SRC))
$(BUILD)/tools/bench_logs: $(call objs,$(BUILD),tools/bench_logs.c tools/benchtask.c $(BENCH_LIB_SRC))
$(BUILD)/tools/bench_objects: $(call objs,$(BUILD),tools/bench_objects.c $(BENCH_LIB_SRC))
$(BUILD)/tools/bench_events $(BUILD)/tools/bench_ecs $(BUILD)/tools/bench_ec2 \
		$(BUILD)/tools/bench_lambda $(BUILD)/tools/bench_coldburst $(BUILD)/tools/bench_logs \
		$(BUILD)/tools/bench_objects:
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(filter %.o,$^) -o $@ $(LDFLAGS) $(LDLIBS)

deps:
	@tools/install-deps.sh $(DEB_PKGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/nimbusfs: $(call objs,$(BUILD),$(BACKEND_SRC) $(FS_SRC) $(MAIN_SRC))
	$(CC) $(CFLAGS) $(filter %.o,$^) -o $@ $(LDFLAGS) $(LDLIBS)

# Unit tests link every module but fs/main.c; cmocka prints their summaries.
$(BUILD)/tests/%: tests/unit/%.c $(call objs,$(BUILD),$(BACKEND_SRC) $(FS_SRC)) \
		$(BUILD)/tests/unit/fake_engine.o $(BUILD)/tests/unit/helpers.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(filter %.c %.o,$^) -o $@ $(LDFLAGS) $(LDLIBS) $(TEST_LDLIBS) -lcmocka

# test_package reads the tars it makes back with an independent reader.
$(BUILD)/tests/test_package: TEST_LDLIBS = -larchive

$(BUILD)/tests/unit/fake_engine.o: tests/unit/fake_engine.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/unit/helpers.o: tests/unit/helpers.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

unit: $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
	@tools/run-unit.sh $(BUILD)/tests $(UNIT_TESTS)

# The same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) --no-print-directory BUILD=build/asan \
		CFLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" unit

tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan CFLAGS="-O1 -fsanitize=thread" \
		LDFLAGS="-fsanitize=thread" unit

# ---- fuzz: libFuzzer harnesses (tests/fuzz/) -------------------------------
# Not part of `make test`. `make fuzz` installs clang, builds every harness
# with clang and ASan+UBSan into build/fuzz/ (-Werror like the rest) and runs
# each FUZZ_SECONDS on a copy of tests/fuzz/corpus/<target>/, after replaying
# tests/fuzz/crashes/<target>/; it fails if any target crashes.
# `make fuzz FUZZ_TARGETS="taskdef ec2_run" FUZZ_SECONDS=60` picks some.
FUZZ_TARGETS ?= taskdef run_task fnconfig_json fnconfig_env fnconfig_field lambda_zip \
	lambda_zip_tree ec2_run ec2_user_data ec2_cidr verbs router
FUZZ_SECONDS ?= 30
FUZZ_DEB_PKGS := clang libclang-rt-14-dev build-essential pkg-config libfuse3-dev \
	libcurl4-openssl-dev libcjson-dev libzip-dev libssl-dev
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

fuzz: fuzz-build
	@tests/fuzz/run.sh build/fuzz/bin $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Only builds them (quick: `make fuzz-build` checks they compile).
fuzz-build:
	@tools/install-deps.sh $(FUZZ_DEB_PKGS)
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang \
		CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" fuzz-bins

fuzz-bins: $(addprefix $(BUILD)/bin/fuzz_,$(FUZZ_TARGETS))

# Harnesses link what they use from an archive of every module but
# fs/main.c; one that #includes a module's .c (to reach its static parser)
# thereby replaces that module's object.
$(BUILD)/libnimbusfs.a: $(call objs,$(BUILD),$(BACKEND_SRC) $(FS_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/zipcheck.h \
		$(BUILD)/libnimbusfs.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $< $(BUILD)/libnimbusfs.a -o $@ $(LDFLAGS) $(LDLIBS)
# ---- end fuzz --------------------------------------------------------------

# The integration suites against ASan+UBSan and TSan builds of the daemon;
# `make test` runs this too.
check-sanitizers: deps all engine-up images
	@tools/check-sanitizers.sh

# 200 tasks, 1000 parked waiters and 100 concurrent invokes, checked and
# timed (LOAD_TASKS, LOAD_WAITERS, LOAD_FUNCS, LOAD_INVOKES to change them).
load: deps all engine-up images
	@tools/load.sh

engine-up:
	@tools/engine-up.sh

engine-down:
	@tools/engine-down.sh

# The emulator inside local/lambda-provided:al2023: static, since it runs in a
# busybox rootfs; its own flags, not $(CFLAGS), so asan/tsan builds leave it alone.
RIE_SRC := tools/lambda-rie/main.c tools/lambda-rie/util.c tools/lambda-rie/proc.c \
	tools/lambda-rie/handler.c tools/lambda-rie/http.c tools/lambda-rie/invoke.c
$(BUILD)/tools/lambda-rie: $(RIE_SRC) tools/lambda-rie/rie.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -I. -static -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
		$(RIE_SRC) -o $@

images: engine-up $(BUILD)/tools/lambda-rie
	@tools/build-busybox-image.sh
	@tools/build-lambda-image.sh $(BUILD)/tools/lambda-rie

integration: all
	@tools/run-integration.sh

# An image the engine has offline for instances launched without an ImageId.
NIMBUSFS_OPTS ?= --ec2-image local/busybox:latest

run: deps all engine-up images
	@mkdir -p "$(MNT)"
	@echo "nimbusfs: mounting at $(MNT); Ctrl-C unmounts"
	$(BUILD)/nimbusfs -f $(NIMBUSFS_OPTS) "$(MNT)"

test: deps
	@tools/run-tests.sh

bench: deps all engine-up images
	@tools/bench.sh

$(BUILD)/nimbusfs.1: docs/nimbusfs.1.md
	@mkdir -p $(dir $@)
	go-md2man -in $< -out $@

install: all $(BUILD)/nimbusfs.1
	install -D -m 0755 $(BUILD)/nimbusfs $(DESTDIR)$(PREFIX)/bin/nimbusfs
	install -D -m 0644 $(BUILD)/nimbusfs.1 $(DESTDIR)$(PREFIX)/share/man/man1/nimbusfs.1

# Fails on an #include against the direction of the layers (docs/design.md).
check-layers:
	@tools/check-layers.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
