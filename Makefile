# Thin wrapper over the `dtimon` CLI (infra/cli/). Every target sets itself up first.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dtimon-installed
#: pytest-xdist workers for `make test` (0: one process); tests/xdist_scheduling.py says how tests are spread
TEST_WORKERS ?= 2

.PHONY: run test up down status docs lint bench install clean

run: $(STAMP)  ## set up and run the main job end to end on the demo period
	$(BIN)/dtimon run

test: lint  ## lint and the whole test suite (unit, integration on PostgreSQL, end to end through Airflow) on TEST_WORKERS (2) pytest-xdist workers
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

up: $(STAMP)  ## keep PostgreSQL, the sandbox, Airflow (UI 127.0.0.1:8080), the report (:8110) and dbt docs (:8111) running; waits on health
	$(BIN)/dtimon up

down: $(STAMP)  ## stop what run/up started
	$(BIN)/dtimon down

status: $(STAMP)  ## liveness of each component from its health check, and where the alert log is
	$(BIN)/dtimon status

docs: $(STAMP)  ## build the dbt docs and serve them, with the gate's GX Data Docs at /gx/, on 127.0.0.1 (DTIMON_DOCS_PORT, 8111)
	$(BIN)/dtimon docs

lint: $(STAMP)  ## ruff and sqlfluff (dbt templater)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m infra.lint_sql

bench: $(STAMP)  ## the loader against COPY, pandas and dlt in interleaved rounds (installs the bench group)
	./infra/bootstrap.sh --group bench
	$(BIN)/python -m bench

install: $(STAMP)

$(STAMP): pyproject.toml uv.lock infra/bootstrap.sh
	./infra/bootstrap.sh

clean:  ## stop everything and delete local state (.dtimon/: warehouse data, Airflow home, logs)
	-$(BIN)/dtimon down
	rm -rf .dtimon
