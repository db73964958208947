# basintwin — build, test and run.
#
#   make test    install missing system packages (Debian/Ubuntu), run every test and the
#                benchmark smoke test
#   make run     the main demo (until the scenario CLI lands: a dam break through the library API)
#   make bench   the criterion benchmarks (cell updates per second per scheme x precision x size)
#   make lint    rustfmt and clippy, warnings as errors
#
# Elsewhere than Debian/Ubuntu, install the packages listed in APT_PACKAGES with your package
# manager, and a Rust toolchain >= 1.95.

CARGO ?= cargo
# System packages the build and tests need (GDAL for terrain and maps; gdalinfo in tests).
APT_PACKAGES ?= pkg-config libgdal-dev gdal-bin

.PHONY: all deps test run bench lint clean

all: test

deps:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust >= 1.95 from https://rustup.rs"; exit 2; }
	@if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then \
		echo "not a Debian/Ubuntu system: make sure these (or your distribution's equivalents) are installed: $(APT_PACKAGES)"; \
	else \
		missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then \
			echo "installing:$$missing"; \
			if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
		fi; \
	fi

test: deps
	$(CARGO) test --workspace --all-targets
	BASINTWIN_BENCH_QUICK=1 $(CARGO) bench -p basintwin-benches --bench schemes -- --test

run: deps
	$(CARGO) run --release -p basintwin-examples --bin dam_break -- fv1 f32

bench: deps
	$(CARGO) bench -p basintwin-benches --bench schemes

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
