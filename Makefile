# grantline — `make demo` runs a local server and every quickstart; `make test` runs every test.
# Both install what they need from the package registries (rustup toolchain components, PyPI,
# npm). Cargo builds go to CARGO_TARGET_DIR, kept outside the clone so CI reuses them.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/grantline/target
export CARGO_TERM_COLOR ?= never
SERVER_BIN := $(CARGO_TARGET_DIR)/debug/grantline-server
export GRANTLINE_SERVER_BIN := $(SERVER_BIN)

.PHONY: test demo setup lint test-rust test-official test-python test-node test-kotlin server bench bench-kotlin

setup:
	@bash scripts/setup.sh

server: setup
	cargo build -p grantline-server --bin grantline-server

lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

test-rust: server
	cargo test

test-official: server
	bash server/tests/official/run.sh

test-python: server
	bash bindings-python/scripts/test.sh

test-node: server
	bash bindings-node/scripts/test.sh

test-kotlin: server
	bash bindings-kotlin/scripts/test.sh

test: lint test-rust test-official test-python test-node test-kotlin
	@echo "make test: every suite passed"

demo: server
	bash scripts/demo.sh

bench: setup
	cargo run --release -p grantline-server --bin grantline-server-bench

bench-kotlin: setup
	cargo build --release -p grantline-server --bin grantline-server
	GRANTLINE_SERVER_BIN=$(CARGO_TARGET_DIR)/release/grantline-server bash bindings-kotlin/scripts/bench.sh
