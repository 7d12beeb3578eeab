# The human entry points. Each installs what it needs first, so a fresh machine needs nothing else.
.PHONY: install demo football football-jobs metropolis movies metrobus test generate build bench clean

# System packages (nats-server, protoc) and npm packages exactly as package-lock.json pins them.
node_modules/.package-lock.json: package-lock.json
	./scripts/install-system-deps.sh
	npm ci --no-audit --no-fund
install: node_modules/.package-lock.json
	@./scripts/install-system-deps.sh

build: install
	npm run build

# Regenerates the checked-in code from the .proto files (example and test protos).
generate: install
	npm run generate

# Builds, type-checks, and runs every test (plugin, runtime, end to end against real nats-servers).
# Extra jest arguments: make test JEST_ARGS="--testPathPatterns e2e"
test: install
	npm test -- $(JEST_ARGS)

# Measures raw NATS, the generated client and host, gRPC and HTTP side by side, then prints tables and
# the target ratios (docs/benchmarks.md). A short run: make bench BENCH_ARGS=--quick
bench: install
	npm run bench -- $(BENCH_ARGS)

# Serves the calculator on a nats-server of its own, calls it through the generated client, stops.
demo: install
	npm run demo

# Seed 001: the football REST gateway (a nats-server, two workers, a gateway on 127.0.0.1:8080,
# PORT=... for another port); prints how to call it, runs until Ctrl-C. examples/football/README.md
football: build
	node examples/football/scripts/run-football.mjs

# Seed 001 in the job form: nats-server with JetStream (a temporary store), workers that also take
# jobs (serve --jobs), the gateway calling through the job queue (gateway --jobs); the same as
# FORM=jobs make football. examples/football/README.md, "Request form and job form"
football-jobs: build
	FORM=jobs node examples/football/scripts/run-football.mjs

# Seed 000: Metropolis on a three-member NATS cluster (workers on two members, gateways on two,
# 127.0.0.1:8081 and 8082; PORT=... for others); prints how to call them, runs until Ctrl-C.
metropolis: build
	node examples/metropolis/scripts/run-metropolis.mjs

# Seed 003: the movies REST API over an engine on PostgreSQL (127.0.0.1:5432; the database is
# created and migrated when missing), download jobs on JetStream, a local mirror to download from;
# gateway on 127.0.0.1:8080 (PORT=... for another). Prints how to call it, runs until Ctrl-C.
# examples/movies/README.md
movies: build
	node examples/movies/scripts/run-movies.mjs

# Seed 002: metrobus, a routing-slip pipeline of dumb stops on JetStream (a nats-server with a
# temporary store, the lookup data loaded into key-value buckets, one serve --pipeline process per
# stop, the pusher); prints the live status page's URL (127.0.0.1:8090, PORT=... for another) and
# runs until Ctrl-C. examples/metrobus/README.md
metrobus: build
	node examples/metrobus/scripts/run-metrobus.mjs

clean:
	rm -rf runtime/dist plugin/dist example/dist bench/dist */tsconfig.tsbuildinfo
