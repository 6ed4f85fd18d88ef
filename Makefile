# intro: the two commands a user needs are `make demo` and `make test`.
SWIFT ?= swift
INTRO := .build/debug/intro
DEMO := $(CURDIR)/.demo

BENCH_DATA := .build/blurb-bench

.PHONY: all build test lint demo release spec import-check bench bench-send bench-report templates clean

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
## check the formatting, build, run every test against real local servers, then the
## black-box Mustache spec runner against the release binary.
test:
	@.ci/deps.sh test
	$(MAKE) lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) import-check
	@if [ -d ../shared/mustache-spec ]; then $(MAKE) spec; else \
	  echo "make spec skipped: ../shared is not beside this clone (the spec cases ran as Swift tests)"; fi

## import-check: contact import streams (peak memory flat from 50k to 200k rows; release build).
import-check: release
	.ci/import-memory-check.sh .build/release/intro

## spec: the shared Mustache spec runner against .build/release/intro (needs ../shared).
spec: release
	python3 ../shared/bench/template/spec_runner.py \
	  --cmd '.build/release/intro render {template} --data {data} --partials {partials} --fragment --lenient --html'

## bench: the template benchmark (release build): intro against swift-mustache 2.1.1, same data, same process.
bench:
	@.ci/deps.sh build
	@test -f $(BENCH_DATA)/contexts.json || python3 ../shared/bench/template/gen_contexts.py --out $(BENCH_DATA)
	$(SWIFT) build -c release --package-path Benchmarks
	Benchmarks/.build/release/template-bench --dir $(BENCH_DATA)

## bench-send: 10,000 messages from a CSV through intro send (4 connections) to Postfix's
## smtp-sink, against smtp-source -d -s 1 on the same sink in the same run.
bench-send: release
	@.ci/deps.sh test
	$(SWIFT) build -c release --package-path Benchmarks --product send-floor
	Benchmarks/send/send-bench.sh 10000 5

## bench-report: intro report on 100,000 referrals and 1,000,000 messages (release build), target < 1 s.
bench-report: release
	python3 Benchmarks/report/report-bench.py .build/release/intro 5

## templates: regenerate the built-in templates compiled into intro after editing Templates/.
templates:
	python3 .ci/embed-templates.py

## demo: render the blurb email from sample intel, then deliver a sample message with
## nothing configured: it lands in the outbox.
demo: build
	@rm -rf "$(DEMO)"
	@echo "rendering the built-in blurb-email template with config/sample-intel.json:"
	@echo
	@XDG_CONFIG_HOME="$(DEMO)/config" $(INTRO) render blurb-email --data config/sample-intel.json
	@echo
	@echo "delivering config/sample-message.eml with no [smtp] configured..."
	@XDG_CONFIG_HOME="$(DEMO)/config" XDG_DATA_HOME="$(DEMO)/data" \
	  $(INTRO) deliver --from rep@example.com --to client@example.com config/sample-message.eml
	@echo "the outbox holds:"
	@ls -l "$(DEMO)/data/intro/outbox"

clean:
	rm -rf .build .demo
