# reco — front door. `make demo` and `make test` work on a fresh Debian 12 machine as root.
#   make deps     install missing Debian packages (idempotent, quiet when all are present)
#   make build    configure and build everything; binaries in build/bin/
#   make test     deps + build + every test (what CI runs via .ci/run)
#   make demo     deps + build + the whole story: events -> DIN training -> ONNX model folder -> live recommender
#                 (serves until Ctrl-C; `make demo DEMO_ONCE=1` exits after one recommendation)
#   make demo-classifier  the Fashion-MNIST classifier: train, evaluate, export, predict
#   make bench    the benchmark scripts in bench/ (prints ratios against references measured in the same run)
#   make format   clang-format the sources

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
DEMO_DIR ?= out/demo
DEMO_ONCE ?= 0
export DEMO_ONCE

.PHONY: all deps deps-test deps-bench configure build test demo demo-classifier bench format clean

all: build

deps:
	@bash scripts/install-deps.sh build

deps-test:
	@bash scripts/install-deps.sh test

deps-bench:
	@bash scripts/install-deps.sh all

$(BUILD_DIR)/CMakeCache.txt:
	@cmake -S . -B $(BUILD_DIR) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

configure: $(BUILD_DIR)/CMakeCache.txt

build: deps configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps-test configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@bash scripts/run-tests.sh $(BUILD_DIR)

demo: deps configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target reco reco-recommender
	@bash scripts/demo.sh $(BUILD_DIR) $(DEMO_DIR)

demo-classifier: deps configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target reco
	@bash scripts/demo_classifier.sh $(BUILD_DIR) $(DEMO_DIR)/classifier

bench: deps-bench build
	@bash bench/run_all.sh $(BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR) out
