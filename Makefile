# intro: the two commands a user needs are `make demo` and `make test`.
SWIFT ?= swift
INTRO := .build/debug/intro
DEMO := $(CURDIR)/.demo

.PHONY: all build test lint demo release clean

all: build

## build: install libcurl's headers if missing, then build intro (debug).
build:
	@.ci/deps.sh build
	$(SWIFT) build

## release: an optimised build at .build/release/intro.
release:
	@.ci/deps.sh build
	$(SWIFT) build -c release

## lint: swift-format in strict mode over the sources and tests.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

## test: install what the tests need (libcurl, openssl, postfix's smtp-sink, aiosmtpd),
## check the formatting, build, and run every test against real local servers.
test:
	@.ci/deps.sh test
	$(MAKE) lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## demo: deliver a sample message with nothing configured: it lands in the outbox.
demo: build
	@rm -rf "$(DEMO)"
	@echo "delivering config/sample-message.eml with no [smtp] configured..."
	@XDG_CONFIG_HOME="$(DEMO)/config" XDG_DATA_HOME="$(DEMO)/data" \
	  $(INTRO) deliver --from rep@example.com --to client@example.com config/sample-message.eml
	@echo "the outbox holds:"
	@ls -l "$(DEMO)/data/intro/outbox"

clean:
	rm -rf .build .demo
