# RepliSQL — see README.md.
GO      ?= go
BIN     := bin/replisql
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
# Packages whose concurrency the race detector checks in `make test`.
RACE_PKGS := ./pgwire/... ./store/... ./session/... ./wal/... ./replica/...

.PHONY: all build run cluster test test-cluster-full test-unit test-integration vet lint fmt bench bench-quick bench-commit bench-micro fuzz clean

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/replisql

# One node on 127.0.0.1:5433 with its data in ./data (Ctrl-C stops it).
run: build
	$(BIN) serve --data-dir data --listen 127.0.0.1:5433

# A local three-node cluster on 127.0.0.1:5433 (leader), 5434 and 5435
# (followers), data in ./data/n1..n3, logs prefixed by node (Ctrl-C stops it).
cluster: build
	$(BIN) cluster --nodes 3 --base-port 5433 --data-dir data

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if command -v golangci-lint >/dev/null; then golangci-lint run ./...; else echo "golangci-lint not installed: ran go vet and gofmt only"; fi

# The whole suite: vet, unit tests (race detector on the concurrent
# packages), then end-to-end tests against the real binary.
test: vet build test-unit test-integration

test-unit:
	$(GO) test -race -count=1 $(RACE_PKGS)
	$(GO) test -count=1 ./pgsql/... ./cmd/...

test-integration: build
	REPLISQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m ./integration/...

# The replication load test at the issue's full size: pgbench -i -s 10,
# then -T 30 -c 8 on the leader while followers are killed, rebuilt from
# a snapshot, and a fourth node joins (make test runs it at -s 2, -T 12).
test-cluster-full: build
	REPLISQL_BIN=$(CURDIR)/$(BIN) REPLISQL_CLUSTER_SCALE=10 REPLISQL_CLUSTER_SECONDS=30 \
		$(GO) test -count=1 -v -timeout 20m -run 'TestReplicationUnderLoad' ./integration/

# Benchmarks against PostgreSQL 15, side by side in one run: bench runs
# the single node and the three replicated configurations (PostgreSQL
# primary + 2 standbys against a 3-node cluster: asynchronous, ANY 1 (*)
# with on, with remote_apply; tpcb-like, with replication lag), and the
# routing rows (select-only served by the leader or spread over the
# followers, tpcb-like through the leader or a follower), about 30
# minutes, and writes docs/benchmarks.md and its plot, and a CPU profile
# per script in bin/profiles; bench-quick (single node) takes about 3
# minutes and writes nothing; bench-commit measures commit latency
# (single-row INSERTs, synchronous commit on and off).
bench: build
	$(GO) run ./integration/bench --replisql-bin $(CURDIR)/$(BIN) --configs single,async,sync-on,remote-apply,read-routing,write-forwarding \
		--write-report --profile-dir $(CURDIR)/bin/profiles

bench-quick: build
	$(GO) run ./integration/bench --quick --replisql-bin $(CURDIR)/$(BIN)

bench-commit: build
	$(GO) run ./integration/bench --replisql-bin $(CURDIR)/$(BIN) --scripts insert,insert-off --clients 1,8,32 --simple "" --duration 10s --scale 1

# Micro-benchmarks of the hot paths.
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./pgwire/ ./pgsql/ ./wal/ ./session/

# Long fuzzing of every decoder of untrusted bytes (FUZZTIME each).
FUZZTIME ?= 10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzStartup$$' -fuzztime $(FUZZTIME) ./pgwire/
	$(GO) test -run '^$$' -fuzz '^FuzzMessages$$' -fuzztime $(FUZZTIME) ./pgwire/
	$(GO) test -run '^$$' -fuzz '^FuzzReplicationMessages$$' -fuzztime $(FUZZTIME) ./replica/

clean:
	rm -rf bin
