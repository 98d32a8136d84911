# Takeboard — build and test entry points.

# ---- app and end-to-end tests (shell) --------------------------------------------------
# `ui`   builds the Svelte UI into ui/dist (the app embeds it).
# `app`  builds the desktop binary target/debug/takeboard with the UI embedded
#        (tauri/custom-protocol: a plain debug build would load devUrl instead).
# `e2e`  drives that binary through tauri-driver under a virtual X display. The tests run
#        only with TAKEBOARD_E2E=1; plain `cargo test` prints that they were skipped.
#        Needs: webkit2gtk-driver, xvfb, xauth, dbus-x11, ffmpeg,
#        `cargo install tauri-driver --locked --version 2.1.0`.

.PHONY: ui app e2e

ui:
	cd ui && npm ci && npm run build

app: ui
	cargo build -p takeboard --features tauri/custom-protocol

e2e: app
	TAKEBOARD_E2E=1 xvfb-run -a cargo test -p takeboard-e2e --test e2e -- --test-threads=1
