# Linli — the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast test-pg bench drills lint messages clean-demo install

$(STAMP): pyproject.toml package.json package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Linli needs Python 3.11 or newer; '$(PYTHON)' is older or missing." >&2; \
		echo "Run e.g. 'make $(MAKECMDGOALS) PYTHON=python3.12'." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# axe-core, for the accessibility test (tests/e2e/test_accessibility.py); without npm that
	@# test skips, except under CI.
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility test will be skipped." >&2; fi
	@touch $(STAMP)

install: $(STAMP)

## Build (first time) and serve the 峡山区 demo district on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/linli demo $(if $(REBUILD),--rebuild,)
	$(BIN)/linli serve --host 127.0.0.1 --port 8000

## Run the whole test suite (SQLite unless DATABASE_URL says otherwise), one process per core
## (TEST_WORKERS=0 runs it in this process). Each file's tests stay in one process, which builds
## the file's shared test data once; the files with slow tests go first (tests/conftest.py).
TEST_WORKERS ?= auto
PYTEST = $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: $(STAMP)
	$(PYTEST) $(PYTEST_ARGS)

## The suite for daily work: all but the slow tests (the full district's build, `linli demo` end
## to end, the fuzzers, the small demo district, a full backup) and the browser tests.
## CI runs `make test`.
test-fast: $(STAMP)
	$(PYTEST) -m "not slow and not browser" $(PYTEST_ARGS)

## The whole suite against the local PostgreSQL server
test-pg: $(STAMP)
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_test $(PYTEST) $(PYTEST_ARGS)

## The quick drills (drills/README.md): a database outage under load, a backup under load and its
## restore; on SQLite, or on the PostgreSQL server DATABASE_URL names (in databases of their own),
## where a worker outliving an outage and two web processes sharing one database are drilled too
drills: $(STAMP)
	$(BIN)/python drills/outage.py
	$(BIN)/python drills/backup_restore.py --quick
	@case "$$DATABASE_URL" in postgres*) \
		$(BIN)/python drills/worker_survival.py --quick && \
		$(BIN)/python drills/two_web_processes.py --quick && \
		$(BIN)/python drills/concurrent_writes.py --quick;; \
	esac

## Every benchmark in bench/, each printing its figures and targets; all of them run, and the
## status is 1 when any missed a target
bench: $(STAMP)
	@ls bench/*.py >/dev/null 2>&1 || { echo "No benchmarks in bench/ yet."; exit 0; }; \
	missed=""; for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || missed="$$missed $$b"; done; \
	if [ -n "$$missed" ]; then echo "targets missed in:$$missed"; exit 1; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	PYTHONPATH=src $(BIN)/lint-imports
	PYTHONPATH=src $(BIN)/mypy

## Regenerate the translation catalogues after changing user-facing strings (needs GNU gettext
## for the extraction), compile them to .mo and list the Chinese entries still to translate
messages: $(STAMP)
	cd src/linli && ../../$(BIN)/django-admin makemessages -l zh_Hans -l en --no-obsolete \
		--add-location=file --ignore='static/vendor/*' --settings=linli.settings --pythonpath=..
	$(BIN)/python -m linli.i18n compile
	-$(BIN)/python -m linli.i18n check

clean-demo:
	rm -rf var/
