# intro: the two commands a user needs are `make demo` and `make test`.
SWIFT ?= swift
INTRO := .build/debug/intro
DEMO := $(CURDIR)/.demo

BENCH_DATA := .build/blurb-bench

.PHONY: all build test lint demo release spec import-check bench bench-send bench-report bench-report-team bench-all templates clean

all: build

## build: install libcurl's headers if missing, then build intro (debug).
build:
	@.ci/deps.sh build
	$(SWIFT) build

## release: an optimised build at .build/release/intro, the Swift runtime and
## Foundation linked in (lld), so a command starts in milliseconds.
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -use-ld=lld
release:
	@.ci/deps.sh build
	$(SWIFT) build $(RELEASE_FLAGS)

## lint: swift-format in strict mode over the sources and tests.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

## test: install what the tests need (libcurl, openssl, postfix's smtp-sink, aiosmtpd,
## PostgreSQL), check the formatting, build, run every test against real local servers,
## then the import memory check and the black-box Mustache spec runner against the
## debug binary just built (what they check does not depend on the optimiser, and a
## release build would double the time of a clean `make test`).
test:
	@.ci/deps.sh test
	$(MAKE) lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	.ci/import-memory-check.sh $(INTRO)
	@if [ -d ../shared/mustache-spec ]; then $(call SPEC_RUNNER,$(INTRO)); else \
	  echo "make spec skipped: ../shared is not beside this clone (the spec cases ran as Swift tests)"; fi

## import-check: contact import streams (peak memory flat from 50k to 200k rows; release build).
import-check: release
	.ci/import-memory-check.sh .build/release/intro

## spec: the shared Mustache spec runner against .build/release/intro (needs ../shared).
SPEC_RUNNER = python3 ../shared/bench/template/spec_runner.py \
  --cmd '$(1) render {template} --data {data} --partials {partials} --fragment --lenient --html'
spec: release
	$(call SPEC_RUNNER,.build/release/intro)

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

## bench-report-team: the same report on the same rows in PostgreSQL (a throwaway cluster),
## against the SQLite file in the same run; also times intro store copy into it.
bench-report-team: release
	@.ci/deps.sh test
	python3 Benchmarks/report/team-report-bench.py .build/release/intro 5

## bench-all: every performance target in one run, one table of ratios (BENCHMARKS.md):
## render vs swift-mustache, send vs smtp-source, smtplib and mailmerge, memory,
## reminders on a big store, fresh processes vs sqlite3 and an empty Swift program.
bench-all: release
	@.ci/deps.sh bench
	$(SWIFT) build -c release --package-path Benchmarks
	python3 Benchmarks/all/bench-all.py --rounds 5

## templates: regenerate the built-in templates compiled into intro after editing Templates/.
templates:
	python3 .ci/embed-templates.py

## demo: a new rep's first day on a fresh machine, nothing configured: a sample home,
## a blurb to paste, lint, whom to ask, thank-you notes (dry run, then sent to the
## outbox), what is due, the log, and where the .eml files are.
DEMO_INTRO = XDG_CONFIG_HOME="$(DEMO)/config" XDG_DATA_HOME="$(DEMO)/data" $(INTRO)
demo: build
	@rm -rf "$(DEMO)"
	@echo "== 1. intro init --sample: a sample rep, clients, prospects and referrals"
	@$(DEMO_INTRO) init --sample
	@echo; echo "== 2. intro referral list"
	@$(DEMO_INTRO) referral list
	@echo; echo "== 3. intro blurb 1: the paragraph Marie-Anne pastes into her introduction to Pat"
	@$(DEMO_INTRO) blurb 1
	@echo; echo "== 4. intro templates lint --strict: every template, checked with the sample data"
	@$(DEMO_INTRO) templates lint --strict > "$(DEMO)/lint.txt" && echo "no errors, no warnings ($$(grep -c '^[a-z]' "$(DEMO)/lint.txt") templates)"
	@echo; echo "== 5. intro suggest: whom to ask next"
	@$(DEMO_INTRO) suggest
	@echo; echo "== 6. intro send thank-you-business --clients: the dry run"
	@$(DEMO_INTRO) send thank-you-business --clients
	@echo; echo "== 7. ... --send --no-limit: with no [smtp], into the outbox"
	@$(DEMO_INTRO) send thank-you-business --clients --send --no-limit
	@echo; echo "== 8. intro due: what the reminders would send"
	@$(DEMO_INTRO) due
	@echo; echo "== 9. intro log --limit 2"
	@$(DEMO_INTRO) log --limit 2
	@echo; echo "== 10. the outbox: $(DEMO)/data/intro/outbox"
	@ls "$(DEMO)/data/intro/outbox"
	@test "$$(ls "$(DEMO)/data/intro/outbox" | wc -l)" -eq 5

clean:
	rm -rf .build .demo
