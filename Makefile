# basintwin — build, test and run.
#
#   make test    install missing system packages (Debian/Ubuntu) and the Python packages of the
#                snapshot check (in .venv-test), run every test and the benchmark smoke test
#   make run     the demo: `basintwin run examples/dam_break.toml` (results in out/dam_break)
#   make bench   the criterion benchmarks (cell updates per second per scheme x precision x size)
#   make lint    rustfmt and clippy, warnings as errors
#
# Elsewhere than Debian/Ubuntu, install the packages listed in APT_PACKAGES with your package
# manager, and a Rust toolchain >= 1.95.

CARGO ?= cargo
# System packages the build and tests need: GDAL (terrain, maps; gdalinfo in tests), HDF5
# (snapshots), netCDF tools (ncdump in tests), Python venv (the xarray check of snapshots), a font
# for the labels of hydrographs.png.
APT_PACKAGES ?= pkg-config libgdal-dev gdal-bin libhdf5-dev netcdf-bin python3-venv fonts-dejavu-core mesa-vulkan-drivers libvulkan1

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

# Python environment in which the tests check that xarray opens the snapshots.
VENV ?= .venv-test
PY_PACKAGES ?= "numpy<3" "xarray>=2024" "h5netcdf>=1.3" "h5py>=3.10" "netCDF4>=1.6"

$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q $(PY_PACKAGES)
	touch $@

# The GPU tests run for real on Mesa's software Vulkan (lavapipe) when there is no GPU.
XDG_DIR := $(abspath .xdg-runtime)

test: deps $(VENV)/.ready
	@mkdir -p $(XDG_DIR) && chmod 700 $(XDG_DIR)
	XDG_RUNTIME_DIR=$(XDG_DIR) BASINTWIN_REQUIRE_GPU=1 BASINTWIN_REQUIRE_PYTHON=1 BASINTWIN_TEST_PYTHON=$(abspath $(VENV))/bin/python $(CARGO) test --workspace --all-targets
	XDG_RUNTIME_DIR=$(XDG_DIR) BASINTWIN_BENCH_QUICK=1 $(CARGO) bench -p basintwin-benches --bench schemes --bench io --bench gpu -- --test

run: deps
	$(CARGO) run --release -p basintwin -- run examples/dam_break.toml --overwrite

bench: deps
	$(CARGO) bench -p basintwin-benches --bench schemes --bench io --bench gpu

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
