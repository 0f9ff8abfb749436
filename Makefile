# Tidings — run `make help` for the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO      ?= go
LDFLAGS := -s -w -X main.version=$(VERSION)
# The whole suite under the race detector; bounded well inside CI's limit.
TEST_FLAGS ?= -race -count=1 -timeout 25m

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: build ## build and run everything locally (web, worker, PostgreSQL under .data/)
	./bin/tidings dev

.PHONY: build
build: ## build the static binary into bin/tidings (the same way the Dockerfile does)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/tidings ./cmd/tidings

.PHONY: test
test: browser ## run the whole test suite (starts a throw-away PostgreSQL unless TEST_DATABASE_URL is set)
	$(GO) run ./internal/platform/pgtest/withdb -- $(GO) test $(TEST_FLAGS) ./...

.PHONY: browser
browser: ## make sure Chromium is there for the browser tests (installs it with apt as root)
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium for the browser tests…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Chromium. Install it with: sudo apt-get install chromium (Debian/Ubuntu)"; exit 1; \
	fi

.PHONY: bench
bench: bench-webhooks bench-import bench-send ## run every benchmark (each prints BENCH lines; see QUALITY.md)

.PHONY: bench-webhooks
bench-webhooks: ## webhook ingestion: signed events/s acknowledged after commit vs a decode-only route (60 s, 256 senders)
	$(GO) run ./cmd/bench-webhooks -duration 60s -senders 256

.PHONY: bench-import
bench-import: ## CSV import: 1M rows from file to finished vs COPY of the same rows, and 5M rows for memory
	$(GO) run ./cmd/bench-import

.PHONY: bench-send
bench-send: ## sending: 200k-message campaign vs bare net/http, pacing at 80 and 1,000 msg/s (60 s), 100 orgs at once, first send of a 1M audience
	$(GO) run ./cmd/bench-send -msgs 200000 -pacing 60s -orgs 100 -orgs-duration 30s -audience 1000000

.PHONY: fuzz
fuzz: ## run every fuzz target for 1,000,000 executions (QUALITY.md)
	$(GO) test -run=NONE -fuzz=FuzzParseWebhook -fuzztime=1000000x ./internal/whatsapp/
	$(GO) test -run=NONE -fuzz=FuzzReadFile -fuzztime=1000000x ./internal/contact/
	$(GO) test -run=NONE -fuzz=FuzzNormalisePhone -fuzztime=1000000x ./internal/contact/

.PHONY: generate
generate: ## regenerate templ code (commit the *_templ.go files)
	$(GO) tool templ generate

.PHONY: lint
lint: ## gofmt, go vet, staticcheck, and generated code up to date
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) tool templ generate >/dev/null
	@if [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "templ generate changed files: run 'make generate' and commit them"; git status --porcelain -- '*_templ.go'; exit 1; fi

.PHONY: check
check: lint test ## everything CI runs

.PHONY: docker
docker: ## build the container image (needs a Docker engine)
	docker build --build-arg VERSION=$(VERSION) -t tidings:$(VERSION) .

.PHONY: clean
clean: ## remove build output (keeps .data/, the local database)
	rm -rf bin test-artifacts
