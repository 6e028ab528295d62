# Everyday targets. `make test` is the command CI runs (see .ci/run).
GO ?= go

.PHONY: test lint serve specs examples flake bench soak microbench fuzz image

# Runs of the suite per target for `make flake` (CI uses 2).
N ?= 50

# How long `make soak` runs, and where it writes (rss.csv, load.json,
# load.log, summary.txt); SOAK_TIMEOUT bounds the whole `go test`.
SOAK ?= 5m
SOAK_OUT ?= soak
SOAK_TIMEOUT ?= 2h

# The tag `make image` gives the reference server's image.
IMAGE ?= wcp:dev

## test: vet, then every test race-enabled (unit, integration, conformance specs and their fault check, interop, stack matrix)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## lint: gofmt, go vet, staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff

## serve: the reference server on 127.0.0.1:8080 with ./wcp.db
serve:
	$(GO) run ./cmd/wcp serve

## specs: the conformance suite against the embedded reference (WCP_TARGET=URL for another server)
specs:
	$(GO) tool ginkgo -p ./specs

## examples: the conformance suite once against each example server (examples/python, examples/node)
examples:
	$(GO) run ./cmd/flakegate -n 1 python node

## flake: N runs (default 50) of the suite against the reference and each example; lists every spec that failed even once
flake:
	$(GO) run ./cmd/flakegate -n $(N) reference python node

## bench: the load profile (200 senders, 20 chats, 1 in flight, 10 s, embedded reference) -> bench.json
bench:
	$(GO) build -o bin/wcp ./cmd/wcp
	./bin/wcp load --senders 200 --chats 20 --inflight 1 --duration 10s --out bench.json

## soak: wcp serve (the abuse suite's small limits) under honest load (wcp load, 200 msg/s) for SOAK while the attacks of reference/abuse take turns against it; RSS every 2 s in $(SOAK_OUT)/rss.csv, a summary (max RSS, RSS over time, acks/s, ack p99) at the end and in $(SOAK_OUT)/summary.txt
soak:
	$(GO) build -o bin/wcp ./cmd/wcp
	WCP_SOAK=$(SOAK) WCP_SOAK_OUT=$(abspath $(SOAK_OUT)) WCP_BIN=$(abspath bin/wcp) \
	  $(GO) test -run '^TestSoak$$' -count=1 -timeout $(SOAK_TIMEOUT) -v ./reference/abuse

## image: the reference server as a container image $(IMAGE) (default wcp:dev): a static binary in bin/, then docker build (see Dockerfile)
image:
	CGO_ENABLED=0 $(GO) build -o bin/wcp ./cmd/wcp
	docker build -t $(IMAGE) .

## microbench: the Go benchmarks (signer, accept path, storage, generator cost)
microbench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: a short run of every fuzz target (their seed corpora run in `make test` already)
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done
