# The two commands a newcomer types: `make demo` and `make test`. Each installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup demo test security typecheck bench fuzz clean

help:
	@echo "make demo   run core + gateway + simulated ambulance on embedded ClickHouse (ARGS='--seconds 20')"
	@echo "make test   typecheck and run every test on tap, with coverage (ARGS=edge, ARGS=uplink, ARGS='--grep \"outbox full\"'; docs/testing.md)"
	@echo "make bench  run the benchmarks (ingest; outbox with a 10-minute outage, ARGS='--outage-s 60' for less; triage; decode)"
	@echo "            and ./bin/neva bench analytics (builds a 100-million-row city first: about 15 minutes)"
	@echo "make security  the security suite alone: every red-team finding tried as the attack (docs/security/)"
	@echo "make fuzz   every decoder's fuzz properties with many runs (RUNS=100000)"
	@echo "make setup  install Node 24 (if the machine's is older) and the dependencies"

setup:
	@bash scripts/setup.sh

demo: setup
	@./bin/neva demo $(ARGS)

typecheck: setup
	@source scripts/node-env.sh && node_modules/.bin/tsc -b

test: setup
	@bash scripts/test.sh $(ARGS)

# The security suite (docs/security/README.md): each file tries a finding as the attack.
SECURITY_TESTS := security- mqtt-security api-security mllp-security opcua-security mqtt-limits reason-redaction \
	outbox-rejected-budget core-channel model-sign model-sync settings-guard alarm-ids rejected-ttl boards-browser
security: setup
	@bash scripts/test.sh $(SECURITY_TESTS)

bench: setup
	@./bin/neva bench ingest
	@./bin/neva bench outbox $(ARGS)
	@./bin/neva bench triage
	@./bin/neva bench decode

# The same properties the tests run a few hundred times, each run RUNS times.
RUNS ?= 100000
fuzz: setup
	@NEVA_FUZZ_RUNS=$(RUNS) bash scripts/test.sh fuzz.test

clean:
	rm -rf data .test-artifacts $$(find . -name dist -type d -not -path './node_modules/*' -not -path './.tools/*')
