# Entry points for people and CI; the work is done in scripts/.
#   make run             install what is missing, build, start the local stack
#   make stop            stop it
#   make status          what runs
#   make build           configure and build into build/
#   make test            every test against a private test stack (as CI),
#                        then again built with AddressSanitizer/UBSan, then
#                        a short pass of every fuzz target (test-fuzz)
#   make test-sanitize   only the sanitizer pass, in build-asan/
#   make fuzz            every libFuzzer target (clang) for ISMS_FUZZ_SECONDS
#                        (default 60) each, in build-fuzz/; fuzz-update also
#                        merges the new inputs into tests/fuzz/corpus/
#   make lint            Redocly and Spectral (OWASP) over openapi/openapi.yaml
#   make bench           throughput and latency against pgbench ceilings on a
#                        seeded private stack; writes docs/performance.md
#   make format-check    clang-format check of the C sources
#   make clean           remove the build trees (the local stack's var/ stays)

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
ISMS_FUZZ_SECONDS ?= 60
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2
FORMAT_DIRS := common services tools tests
# The test stack of each build tree. tests/CMakeLists.txt reads ISMS_VAR and
# ISMS_HTTP_PORT when configuring, so they are set explicitly here: a shell
# that sourced the local stack's isms.env must not point the tests at it.
TEST_PORT ?= 18080
ASAN_TEST_PORT ?= 18081
TEST_ENV = ISMS_VAR=$(abspath $(BUILD_DIR))/test-var ISMS_HTTP_PORT=$(TEST_PORT)
ASAN_TEST_ENV = ISMS_VAR=$(abspath $(ASAN_DIR))/test-var \
	ISMS_HTTP_PORT=$(ASAN_TEST_PORT)

.PHONY: run stop status deps build test test-plain build-sanitize test-sanitize \
	test-asan build-fuzz fuzz fuzz-update test-fuzz lint bench format-check clean

run:
	scripts/deps.sh
	$(MAKE) build
	ISMS_BUILD_DIR=$(abspath $(BUILD_DIR)) scripts/stack.sh start

stop:
	scripts/stack.sh stop

status:
	@scripts/stack.sh status || true

deps:
	scripts/deps.sh

build:
	$(TEST_ENV) cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Every suite twice: a normal build, then AddressSanitizer + UBSan. Each
# build tree is locked while in use, so two runs at once take turns
# instead of stopping each other's test stack.
test:
	scripts/deps.sh
	flock $(abspath $(BUILD_DIR)).lock $(MAKE) test-plain
	flock $(abspath $(ASAN_DIR)).lock $(MAKE) test-asan
	flock $(abspath $(FUZZ_DIR)).lock $(MAKE) test-fuzz

# Every suite, the OpenAPI lint (label lint) included; make lint runs the
# lint alone.
test-plain: build
	$(TEST_ENV) ISMS_BUILD_DIR=$(abspath $(BUILD_DIR)) scripts/test.sh

lint: build
	ctest --test-dir $(BUILD_DIR) -L lint --output-on-failure

# Not part of make test: it needs the whole machine for about ten minutes.
bench: build
	scripts/deps.sh
	ISMS_BUILD_DIR=$(abspath $(BUILD_DIR)) bench/run.sh

build-sanitize:
	$(ASAN_TEST_ENV) cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DISMS_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j$(JOBS)

test-sanitize:
	scripts/deps.sh
	flock $(abspath $(ASAN_DIR)).lock $(MAKE) test-asan

# Without the lint: it reads only openapi/openapi.yaml, which the plain
# pass (test-plain) has linted already; a sanitizer build adds nothing.
test-asan: build-sanitize
	$(ASAN_TEST_ENV) ISMS_BUILD_DIR=$(abspath $(ASAN_DIR)) scripts/test.sh \
		-LE lint

# libFuzzer targets: clang, AddressSanitizer and UBSan, only the fuzz
# targets built. Each run replays tests/fuzz/regressions/, then fuzzes from
# tests/fuzz/corpus/; new inputs and crashes stay in $(FUZZ_DIR)/fuzz-work.
build-fuzz:
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DISMS_SANITIZE=ON -DISMS_FUZZ=ON
	cmake --build $(FUZZ_DIR) --target fuzz_targets -j$(JOBS)

fuzz: build-fuzz
	rm -rf $(FUZZ_DIR)/fuzz-work/summary
	ISMS_FUZZ_SECONDS=$(ISMS_FUZZ_SECONDS) ctest --test-dir $(FUZZ_DIR) \
		-L fuzz -j$(JOBS) --output-on-failure
	@cat $(FUZZ_DIR)/fuzz-work/summary/*.txt

fuzz-update: build-fuzz
	ISMS_FUZZ_UPDATE=1 ISMS_FUZZ_SECONDS=$(ISMS_FUZZ_SECONDS) \
		ctest --test-dir $(FUZZ_DIR) -L fuzz -j$(JOBS) --output-on-failure

# The short pass of make test (and CI): 10 s per target.
test-fuzz: build-fuzz
	rm -rf $(FUZZ_DIR)/fuzz-work/summary
	ISMS_FUZZ_SECONDS=10 ctest --test-dir $(FUZZ_DIR) -L fuzz -j$(JOBS) \
		--output-on-failure
	@cat $(FUZZ_DIR)/fuzz-work/summary/*.txt

format-check:
	@command -v clang-format >/dev/null || \
		{ echo "format-check: clang-format is not installed (apt-get install clang-format)" >&2; exit 1; }
	@files=$$(find $(FORMAT_DIRS) -name node_modules -prune -o -type f \
		\( -name '*.c' -o -name '*.h' \) -print 2>/dev/null | sort); \
	if [ -n "$$files" ]; then clang-format --dry-run --Werror $$files; fi

# The test stacks' state is disposable: destroy (not just stop) them, since
# it may live outside the build tree (see scripts/stack.sh).
clean:
	$(TEST_ENV) scripts/stack.sh destroy
	$(ASAN_TEST_ENV) scripts/stack.sh destroy
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
