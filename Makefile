# Pulse developer commands. `make run` and `make test` are the two README commands.
# The targets call the `pulse` console script (pulse/cli.py) that `make install` puts in the venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format migrate demo clean soak manifest browser spark-cluster-test

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

demo: migrate
	$(BIN)/pulse demo-data --users 2000 --if-empty

run: $(STAMP)
	$(BIN)/pulse run

# Parse dbt_project/ into the manifest the Dagster code location loads. Loading the code
# location does this itself when the manifest is missing or older than the project.
manifest: $(STAMP)
	$(BIN)/python -c "from orchestration.project import prepare_manifest; prepare_manifest()"

# The console's browser test drives Debian's Chromium (never a downloaded browser build).
browser:
	@test -x /usr/bin/chromium || { \
		echo "installing Debian's chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(STAMP) browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Long fault and fuzz runs, kept out of `make test` (figures in docs/reliability.md).
# Needs DATABASE_URL like `make test`; the fault soak brings its own PostgreSQL.
soak: $(STAMP)
	$(BIN)/python -m bench.faults.soak --events 50000 --players 200 --server-kills 2 --postgres-restarts 1
	PULSE_FUZZ_EXAMPLES=25 $(BIN)/pytest tests/reliability/test_fuzz_every_route.py -q

# The PostgreSQL/Spark equality test against a standalone Spark cluster on loopback
# (master, two workers, Thrift server, from the pyspark wheel), stopped afterwards.
# Needs DATABASE_URL like `make test`.
spark-cluster-test: $(STAMP)
	$(BIN)/pulse spark-cluster test --workers 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy pulse ingest orchestration
	cd dbt_project && ../$(BIN)/sqlfluff lint models tests

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pulse dbt_project/target dbt_project/logs
