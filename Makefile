# Takeboard — set-up is two commands: `make run` and `make test`.
# Both install what is missing (Debian/Ubuntu packages, tauri-driver, npm and Python
# packages), then build. Nothing here needs the network once installed.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT      := $(CURDIR)
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO     ?= cargo
VENV      := $(ROOT)/.venv
PYTHON    := $(VENV)/bin/python
APP       := $(ROOT)/target/debug/takeboard
CLI       := $(ROOT)/target/debug/takeboard-cli
DEMO      := $(ROOT)/demo-library
TAURI_DRIVER_VERSION := 2.1.0

# Debian/Ubuntu packages: WebKitGTK build + runtime, GStreamer codecs for <video>,
# ffmpeg for clips, Xvfb + WebKitWebDriver for end-to-end tests, PostgreSQL for the
# studio tests (each test binary starts its own throwaway server; none is left running).
APT_PACKAGES := libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev \
  libayatana-appindicator3-dev librsvg2-dev webkit2gtk-driver xvfb xauth dbus-x11 \
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
  gstreamer1.0-libav ffmpeg python3-venv file postgresql

.PHONY: help deps system-deps tauri-driver ui-deps py-deps ui app cli run demo test \
        test-rust test-ui test-e2e screenshots fuzz lint bindings bench package clean

help:
	@echo "make run      build and launch Takeboard on a demo library (generated on first use)"
	@echo "make test     every test: Rust, UI, end-to-end against the real app under Xvfb"
	@echo "make bench    benchmarks (prints a table)"
	@echo "make screenshots  the README's screenshots, into docs/screenshots/"
	@echo "make fuzz     each cargo-fuzz target for FUZZ_S seconds (default 600)"
	@echo "make package  build the .deb"

deps: system-deps tauri-driver ui-deps py-deps

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

tauri-driver:
	@command -v tauri-driver >/dev/null || [ -x "$$HOME/.cargo/bin/tauri-driver" ] || \
	  $(CARGO) install tauri-driver --locked --version $(TAURI_DRIVER_VERSION)

ui-deps: ui/node_modules/.package-lock.json

# `npm install` against the committed lockfile, not `npm ci`: npm 11 records only this
# platform's optional packages (rollup, @tauri-apps/cli binaries) in the lockfile and then
# `npm ci` refuses its own lockfile as out of sync. The install leaves the lockfile as is.
ui/node_modules/.package-lock.json: ui/package-lock.json ui/package.json
	cd ui && npm install --no-audit --no-fund
	@touch $@

py-deps test-deps: $(VENV)/.installed

$(VENV)/.installed: tests/otio/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tests/otio/requirements.txt
	@touch $@

ui: ui-deps
	cd ui && npm run build

# The app always embeds ui/dist (feature custom-protocol is on by default).
app: ui
	$(CARGO) build -p takeboard -p takeboard-cli

cli:
	$(CARGO) build -p takeboard-cli

demo: cli
	@if [ ! -f "$(DEMO)/library.db" ]; then \
	  scripts/make-demo.sh "$(DEMO)/clips"; \
	  $(CLI) --library "$(DEMO)/library.db" --project Demo scan "$(DEMO)/clips" >/dev/null; \
	  echo "demo library: $(DEMO)"; \
	fi

run: deps app demo
	$(APP) --library "$(DEMO)/library.db" --folder "$(DEMO)/clips"

lint: ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	scripts/check-sql-in-catalog.sh
	scripts/check-api-boundary.sh
	@! $(CARGO) tree -p takeboard-core -e normal -i tauri 2>/dev/null | grep -q tauri || \
	  { echo "takeboard-core must not depend on tauri"; exit 1; }

# TypeScript types for IPC are generated from Rust (ts-rs) and committed.
bindings: ui
	$(CARGO) test -p takeboard export_bindings -- --quiet
	git diff --exit-code -- ui/src/lib/bindings || \
	  { echo "ui/src/lib/bindings is stale: run 'make bindings' and commit"; exit 1; }

test-rust: ui py-deps
	TAKEBOARD_PYTHON=$(PYTHON) $(CARGO) test --workspace --exclude takeboard-e2e
	@if scripts/can-mount-tmpfs.sh; then \
	  $(CARGO) test -p takeboard-cli --test cli -- --ignored a_full_library_disk; \
	else echo "a_full_library_disk: ignored (this machine may not mount a tmpfs)"; fi

test-ui: ui-deps
	cd ui && npm run check && npm test

test-e2e: app tauri-driver py-deps
	TAKEBOARD_E2E=1 TAKEBOARD_PYTHON=$(PYTHON) PATH="$$HOME/.cargo/bin:$$PATH" \
	  xvfb-run -a -s "-screen 0 1600x1000x24" $(CARGO) test -p takeboard-e2e -- --test-threads=1

# Fuzzing (not part of `make test`): each cargo-fuzz target for FUZZ_S seconds (default
# 10 minutes), seeded by scripts/fuzz-seeds.sh. Needs the nightly toolchain; crashes land in
# fuzz/artifacts/<target>/ and become regression tests under src-tauri/core/tests/.
FUZZ_S ?= 600
FUZZ_TARGETS = mp4_boxes sidecar file_name range_header timecode
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	scripts/fuzz-seeds.sh
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  echo "== $$t for $(FUZZ_S) s"; \
	  cargo +nightly fuzz run $$t corpus/$$t -- -max_total_time=$(FUZZ_S) -print_final_stats=1 || exit 1; \
	done

# The README's pictures: the screenshot test, writing into docs/screenshots/.
screenshots: app tauri-driver
	TAKEBOARD_E2E=1 TAKEBOARD_SCREENSHOTS=docs PATH="$$HOME/.cargo/bin:$$PATH" \
	  xvfb-run -a -s "-screen 0 1600x1000x24" $(CARGO) test -p takeboard-e2e -- --test-threads=1 screenshots::

test: deps lint bindings test-rust test-ui test-e2e
	@echo "make test: all suites passed"

# Ingest and media-server benchmarks, then the app against the issue's goals (drift, first paint, idle
# memory, binary size) on the release build under Xvfb; each prints a markdown table.
bench: deps ui
	$(CARGO) bench -p takeboard-core --bench ingest
	$(CARGO) bench -p takeboard-core --bench media_server
	$(CARGO) build --release -p takeboard -p takeboard-cli
	TAKEBOARD_SETTLE_MS=0 PATH="$$HOME/.cargo/bin:$$PATH" \
	  xvfb-run -a -s "-screen 0 1600x1000x24" $(CARGO) bench -p takeboard-e2e --bench app

# The release app (and takeboard-cli, see bundle.linux in tauri.conf.json) as a .deb and
# an .rpm; both build offline (an AppImage would download linuxdeploy). Their Depends carry
# the GStreamer plugins <video> needs.
BUNDLE := $(ROOT)/target/release/bundle
package: deps ui
	$(CARGO) build --release -p takeboard-cli
	cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb,rpm
	@deb=$$(ls -t $(BUNDLE)/deb/*.deb | head -n1); \
	  dpkg-deb -f "$$deb" Package Version Depends; \
	  echo "built: $$deb"; ls -t $(BUNDLE)/rpm/*.rpm | head -n1 | sed 's/^/built: /'

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules $(VENV) $(DEMO)
