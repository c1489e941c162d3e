# grantline — `make demo` runs a local server and every quickstart; `make test` runs every test;
# `make dist` builds every release artifact into dist/ and `make test-dist` installs and runs them.
# All install what they need from the package registries (rustup targets and components, PyPI,
# npm).
#
# Builds are correct by construction, without touching files:
# - one cargo target dir per checkout: `target/` inside it (cargo's default), unless the caller
#   exports CARGO_TARGET_DIR. Two checkouts never share one, so neither can pick up the other's
#   artifacts (cargo tells workspace crates apart by their path inside the workspace).
# - one profile (dev) and one explicit target triple (the host's) for every tool: cargo, maturin
#   (through pip) and napi, which always passes --target. Dependencies are then compiled once and
#   shared by the server, the tests, the Python extension and the Node addon.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TERM_COLOR ?= never
export CARGO_BUILD_TARGET ?= $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
# dev or release: what scripts build the server, the extension and the addon with.
export GRANTLINE_PROFILE ?= dev
PROFILE_DIR := $(if $(filter dev,$(GRANTLINE_PROFILE)),debug,$(GRANTLINE_PROFILE))
SERVER_BIN := $(CARGO_TARGET_DIR)/$(CARGO_BUILD_TARGET)/$(PROFILE_DIR)/grantline-server
export GRANTLINE_SERVER_BIN := $(SERVER_BIN)

.PHONY: test demo setup lint test-rust test-official test-postgres test-python test-node \
        test-kotlin test-readme test-dist-quick server bench bench-kotlin bench-node bench-python \
        dist test-dist docs

setup:
	@bash scripts/setup.sh

server: setup
	cargo build --profile $(GRANTLINE_PROFILE) -p grantline-server --bin grantline-server

lint: setup
	python3 scripts/version.py --check
	python3 scripts/check_features.py
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

test-kotlin: server
	bash bindings-kotlin/scripts/test.sh

# The quick slice of test-dist: the host's wheel and npm packages (dev profile, from the cache the
# suites above filled) installed with no Rust toolchain or compiler on PATH, npm's from a local
# registry; the quickstarts run against the server.
test-dist-quick: test-python test-node
	python3 scripts/dist.py --quick $(CARGO_TARGET_DIR)/dist-quick
	bash scripts/test-dist.sh --quick $(CARGO_TARGET_DIR)/dist-quick

# Every README block marked runnable, as written, against `grantline-server dev`.
test-readme: test-python test-node
	python3 scripts/readme_snippets.py

# The API reference of each language (rustdoc, pdoc, TypeDoc) into target/docs/, failing on any
# warning.
docs: setup
	bash scripts/docs.sh

test: lint test-rust test-official test-postgres test-python test-node test-kotlin test-readme docs \
      test-dist-quick
	@if [ -d dist ]; then $(MAKE) --no-print-directory test-dist; fi
	@echo "make test: every suite passed"

# The server builds while the language demos' downloads run (scripts/demo.sh).
demo: setup
	MAKE="$(MAKE)" bash scripts/demo.sh

# Release build; SQLite and PostgreSQL, 1 and 2 instances, lists up to 1M grants (~25 min).
bench: setup
	cargo build --release -p grantline-server --bins
	bash server/scripts/with-postgres.sh \
	  $(CARGO_TARGET_DIR)/$(CARGO_BUILD_TARGET)/release/grantline-server-bench

# Client CPU per call against hand-written clients (Node: undici, fetch; Python: alter-sdk 0.29 and
# the core's pure-Rust floor); release builds, ~10 min each. Tables: the bindings' READMEs.
bench-node: setup
	cargo build --release -p grantline-server --bin grantline-server
	GRANTLINE_SERVER_BIN=$(CARGO_TARGET_DIR)/$(CARGO_BUILD_TARGET)/release/grantline-server \
	  bash bindings-node/scripts/bench.sh

bench-python: setup
	cargo build --release -p grantline-server --bin grantline-server
	GRANTLINE_SERVER_BIN=$(CARGO_TARGET_DIR)/$(CARGO_BUILD_TARGET)/release/grantline-server \
	  bash bindings-python/scripts/bench.sh

bench-kotlin: setup
	cargo build --release -p grantline-server --bin grantline-server
	GRANTLINE_SERVER_BIN=$(CARGO_TARGET_DIR)/$(CARGO_BUILD_TARGET)/release/grantline-server \
	  bash bindings-kotlin/scripts/bench.sh

# Every release artifact (wheels, sdist, npm packages, static servers, crates) into dist/: about
# an hour of CPU on 2 cores from nothing. See README "Install".
dist: setup
	python3 scripts/dist.py

test-dist:
	bash scripts/test-dist.sh dist
