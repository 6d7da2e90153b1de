# ml-connector — the two commands that matter: `make demo` and `make test`.
# Every target installs nothing behind your back except `deps`, which the
# targets that need system packages call first and which says what it does.

SHELL        := /bin/bash
GO           ?= go
BIN          := bin/ml-connector
PKG          := ./cmd/ml-connector
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT       ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS      := -X github.com/ml-connector/ifs-cleo/core/cli.Version=$(VERSION) -X github.com/ml-connector/ifs-cleo/core/cli.Commit=$(COMMIT)
# Release builds tell Fyne the app is migrated to fyne.Do (no per-call thread
# checks); debug builds keep the checks and ignore FyneApp.toml's migration flag.
RELEASE_TAGS := migrated_fynedo
DEBUG_TAGS   := no_metadata
DATA_DIR     ?=
FUZZTIME     ?= 20s
ARTIFACTS    ?= $(CURDIR)/artifacts
comma        := ,

# Debian packages: GUI build (cgo + GL/X11 headers), screenshots (Xvfb,
# ImageMagick, xdotool), the Secret Service keyring, and OpenSSH for the SFTP
# transport tests.
APT_PACKAGES := gcc pkg-config libgl1-mesa-dev xorg-dev libxkbcommon-dev \
                xvfb xauth imagemagick xdotool dbus dbus-x11 gnome-keyring libsecret-tools \
                openssh-server openssh-client openssh-sftp-server postgresql \
                gcc-mingw-w64-x86-64 wine64 msitools wixl osslsigncode zip

# Tests that need a live session bus run inside one with an unlocked keyring.
# A throwaway XDG_DATA_HOME gives each run a fresh login keyring, created and
# unlocked with a throwaway password (an empty one makes the daemon prompt).
WITH_KEYRING := env XDG_DATA_HOME=$$(mktemp -d) dbus-run-session -- bash -c 'printf mlc-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 && "$$@"' --

.PHONY: all deps build run run-debug demo test test-race test-unit test-process test-gui test-windows test-windows-run bench fuzz lint package package-windows chaos clean help

all: build

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## install missing Debian packages, npm test peers and Go modules
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else echo "deps: need root or sudo to install:$$missing" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: Debian packages present"; fi
	@if [ -f testdata/npm/package.json ] && [ ! -d testdata/npm/node_modules ]; then \
	  echo "deps: installing npm test peers (node-x12, x12-parser) into testdata/npm"; \
	  (cd testdata/npm && npm ci --no-audit --no-fund --silent); fi
	@echo "deps: downloading Go modules"; $(GO) mod download

build: ## release build of the app into bin/
	$(GO) build -tags $(RELEASE_TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) $(PKG)

run: build ## build and start the desktop app
	./$(BIN) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

run-debug: ## start the app with Fyne's thread checks on
	$(GO) run -tags $(DEBUG_TAGS) -race $(PKG) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

demo: deps build ## build and run the app against the embedded IFS and Cleo sandboxes
	./$(BIN) demo $(if $(DATA_DIR),--data-dir $(DATA_DIR))

lint: ## gofmt, go vet, staticcheck and deadcode (tools pinned in go.mod)
	@out=$$(gofmt -l cmd core ui); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./core/... ./ui/...
	@# core builds for Windows too (the GUI's cgo build is package-windows).
	GOOS=windows CGO_ENABLED=0 $(GO) build $$(GOOS=windows CGO_ENABLED=0 $(GO) list -f '{{if .GoFiles}}{{.ImportPath}}{{end}}' ./core/... | grep -v /cmd/)
	$(GO) tool staticcheck ./...
	@# Code no test or command reaches is either tested or gone.
	@out=$$($(GO) tool deadcode -test ./...); if [ -n "$$out" ]; then echo "deadcode:"; echo "$$out"; exit 1; fi

test-unit: ## engine and widget tests with -race, with a real keyring, sshd and node peers
	$(WITH_KEYRING) env MLC_KEYRING_TEST=1 MLC_REQUIRE_SSHD=1 MLC_REQUIRE_POSTGRES=1 \
	  $(if $(wildcard testdata/npm/node_modules),MLC_REQUIRE_NODE=1) \
	  $(GO) test -race -count=1 -timeout 20m ./core/... ./ui/...
	cd cmd/ml-connector/localeinit && $(GO) test -count=1 .

test-gui: build ## the real binary in a real window under Xvfb (screenshots into $(ARTIFACTS))
	mkdir -p $(ARTIFACTS)
	$(WITH_KEYRING) env MLC_XVFB_TESTS=1 MLC_PROCESS_TESTS=1 MLC_BINARY=$(CURDIR)/$(BIN) MLC_ARTIFACTS=$(ARTIFACTS) \
	  xvfb-run -a -s '-screen 0 1366x768x24' $(GO) test -count=1 -timeout 15m ./cmd/...

# CHAOS_SEED is fixed for `make test` so a CI failure can be replayed exactly;
# `make chaos` draws a new seed each run and prints it.
CHAOS_ITER ?= 10
CHAOS_SEED ?= 20261127

test-process: build ## the clients against the real `ml-connector sandbox` process, and a bounded chaos run
	MLC_PROCESS_TESTS=1 MLC_BINARY=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m -run 'Process' ./core/ifs/ ./core/cleo/
	MLC_CHAOS=1 MLC_CHAOS_ITER=$(CHAOS_ITER) MLC_CHAOS_SEED=$(CHAOS_SEED) MLC_CHAOS_BIN=$(CURDIR)/$(BIN) \
	  $(GO) test -count=1 -timeout 15m -run '^TestChaos(Drain)?$$' ./core/engine/

# The Windows cross-compile (cgo, minutes) runs beside the Linux tests, and
# its Wine tests run after them, so CI's wall time grows by little.
test: ## everything CI runs
	@mkdir -p $(ARTIFACTS)
	@$(MAKE) --no-print-directory package-windows > $(ARTIFACTS)/package-windows.log 2>&1 & win=$$!; \
	$(MAKE) --no-print-directory lint test-unit test-process test-gui; st=$$?; \
	wait $$win; wst=$$?; \
	if [ $$wst -ne 0 ]; then echo "package-windows failed:"; cat $(ARTIFACTS)/package-windows.log; fi; \
	[ $$st -eq 0 ] && [ $$wst -eq 0 ] || exit 1; \
	tail -4 $(ARTIFACTS)/package-windows.log; \
	$(MAKE) --no-print-directory test-windows-run

test-race: test-unit

bench: deps ## benchmarks, compared against baselines measured in the same run (results in $(ARTIFACTS))
	mkdir -p $(ARTIFACTS)
	$(GO) test -run '^$$' -bench . -benchmem -timeout 150m ./core/... ./ui/... | tee $(ARTIFACTS)/bench.txt
	@# X12 throughput against the zero-copy tokenizer ceiling and the npm parsers, as a markdown table.
	$(GO) run ./core/x12/cmd/x12bench -size 100 -runs 3 -npm testdata/npm -out $(ARTIFACTS)/bench-x12.md
	@cat $(ARTIFACTS)/bench-x12.md

fuzz: ## each fuzz target for $(FUZZTIME)
	@for pkg in $$($(GO) list ./core/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

chaos: build ## the long crash-recovery run (SIGKILL many times; MLC_CHAOS_ITER, MLC_CHAOS_SEED)
	MLC_CHAOS=1 MLC_CHAOS_ITER=$${MLC_CHAOS_ITER:-100} MLC_CHAOS_BIN=$(CURDIR)/$(BIN) \
	  $(GO) test -count=1 -timeout 60m -run '^TestChaos(Drain)?$$' -v ./core/engine/

package: ## Linux tarball via fyne package (tool pinned in go.mod)
	cp FyneApp.toml $(PKG)/FyneApp.toml
	cp assets/icon.png $(PKG)/Icon.png
	cd $(PKG) && $(GO) tool fyne package --target linux --release --tags $(RELEASE_TAGS) --icon Icon.png
	rm -f $(PKG)/FyneApp.toml $(PKG)/Icon.png
	mkdir -p dist && mv $(PKG)/*.tar.xz dist/ 2>/dev/null || mv $(PKG)/*.tar.gz dist/
	@ls -l dist

# Windows: cross-compiled with Debian's mingw-w64 (cgo for Fyne's GLFW), an
# icon and version resource (windres), a GUI exe (no console window) and a
# console exe for scripts and the service, a zip and an MSI (wixl). With
# SIGN_CERT and SIGN_KEY (PEM files) both exes and the MSI are Authenticode
# signed with osslsigncode (SIGN_PASS_FILE for an encrypted key).
WIN_DIST     := dist/windows
WIN_VERSION  := $(shell sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
WIN_ENV      := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc
SIGN_CERT    ?=
SIGN_KEY     ?=
SIGN_PASS_FILE ?=
define win_sign
	@if [ -n "$(SIGN_CERT)" ] && [ -n "$(SIGN_KEY)" ]; then \
	  echo "sign $(1)"; osslsigncode sign -certs $(SIGN_CERT) -key $(SIGN_KEY) $(if $(SIGN_PASS_FILE),-readpass $(SIGN_PASS_FILE)) \
	    -n ml-connector -i https://github.com/ml-connector/ifs-cleo -h sha256 -in $(1) -out $(1).signed >/dev/null && mv $(1).signed $(1); \
	fi
endef

package-windows: ## Windows build: GUI and console exe with icon and version, zip and MSI in dist/windows (signed with SIGN_CERT/SIGN_KEY)
	mkdir -p $(WIN_DIST)
	convert assets/icon.png -define icon:auto-resize=256,64,48,32,16 $(WIN_DIST)/icon.ico
	sed -e 's/@VERSION@/$(WIN_VERSION)/g' -e 's/@VERSION_COMMAS@/$(subst .,$(comma),$(WIN_VERSION)),0/g' \
	  assets/windows/version.rc > $(WIN_DIST)/version.rc
	x86_64-w64-mingw32-windres -O coff --include-dir $(WIN_DIST) -i $(WIN_DIST)/version.rc -o $(PKG)/rsrc_windows_amd64.syso
	$(WIN_ENV) $(GO) build -tags $(RELEASE_TAGS) -ldflags '$(LDFLAGS) -H windowsgui' -o $(WIN_DIST)/ml-connector.exe $(PKG); \
	  st=$$?; [ $$st -ne 0 ] && rm -f $(PKG)/rsrc_windows_amd64.syso; exit $$st
	$(WIN_ENV) $(GO) build -tags $(RELEASE_TAGS) -ldflags '$(LDFLAGS)' -o $(WIN_DIST)/ml-connector-cli.exe $(PKG); \
	  st=$$?; rm -f $(PKG)/rsrc_windows_amd64.syso; exit $$st
	$(call win_sign,$(WIN_DIST)/ml-connector.exe)
	$(call win_sign,$(WIN_DIST)/ml-connector-cli.exe)
	rm -f $(WIN_DIST)/*.zip $(WIN_DIST)/*.msi
	cd $(WIN_DIST) && cp ../../README.md README.md && zip -q ml-connector-$(WIN_VERSION)-windows-amd64.zip ml-connector.exe ml-connector-cli.exe README.md && rm README.md
	wixl -a x64 -D Version=$(WIN_VERSION) -D Dist=$(WIN_DIST) -o $(WIN_DIST)/ml-connector-$(WIN_VERSION)-x64.msi assets/windows/ml-connector.wxs
	$(call win_sign,$(WIN_DIST)/ml-connector-$(WIN_VERSION)-x64.msi)
	@ls -l $(WIN_DIST)/*.exe $(WIN_DIST)/*.zip $(WIN_DIST)/*.msi

# The Windows build under Wine (Debian's wine64) against the sandboxes, in a
# throwaway Wine prefix: connect, sync --once, documents --json, paths with
# spaces and non-ASCII, the MSI's contents, a test signature. The MSI is kept
# in $(ARTIFACTS).
test-windows: package-windows build test-windows-run

test-windows-run:
	mkdir -p $(ARTIFACTS)
	cp $(WIN_DIST)/*.msi $(WIN_DIST)/*.zip $(ARTIFACTS)/
	x86_64-w64-mingw32-gcc -shared -O2 -o $(WIN_DIST)/bcryptprimitives.dll testdata/wine/bcryptprimitives.c -ladvapi32
	MLC_WINE_TESTS=1 MLC_BINARY=$(CURDIR)/$(BIN) MLC_WINDOWS_DIST=$(CURDIR)/$(WIN_DIST) MLC_ARTIFACTS=$(ARTIFACTS) \
	  $(GO) test -count=1 -timeout 15m -run 'Wine' -v ./cmd/ml-connector/

clean:
	rm -rf bin dist $(ARTIFACTS)
