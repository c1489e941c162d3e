# grantline — `make demo` runs a local server and every quickstart; `make test` runs every test.
# Both install what they need from the package registries (rustup toolchain components, PyPI,
# npm). Cargo builds go to CARGO_TARGET_DIR, kept outside the clone so CI reuses them.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/grantline/target
export CARGO_TERM_COLOR ?= never
SERVER_BIN := $(CARGO_TARGET_DIR)/debug/grantline-server
export GRANTLINE_SERVER_BIN := $(SERVER_BIN)

.PHONY: test demo setup lint test-rust test-official test-postgres test-python test-node server bench

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

# The server's integration suite and the official-client suite again, against a throw-away
# PostgreSQL cluster (installed from Debian's packages when missing; see the script).
test-postgres: server
	GRANTLINE_TEST_STORE=postgres bash server/scripts/with-postgres.sh \
		bash -c 'cargo test -p grantline-server && bash server/tests/official/run.sh'

test-python: server
	bash bindings-python/scripts/test.sh

test-node: server
	bash bindings-node/scripts/test.sh

test: lint test-rust test-official test-postgres test-python test-node
	@echo "make test: every suite passed"

demo: server
	bash scripts/demo.sh

# Release build; SQLite and PostgreSQL, 1 and 2 instances, lists up to 1M grants (~25 min).
bench: setup
	cargo build --release -p grantline-server --bins
	bash server/scripts/with-postgres.sh $(CARGO_TARGET_DIR)/release/grantline-server-bench
