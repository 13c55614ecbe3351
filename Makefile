# The two commands the README promises:
#   make run   set everything up and run the application on its embedded default
#   make test  set everything up and run every test and check
SHELL := /bin/sh
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# The test suite runs a second time against PostgreSQL (the production database).
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/escalate
# The port `make run` serves on: `make run PORT=8001` when 8000 is taken.
PORT ?= 8000

.PHONY: run plan test setup frontend chromium lint typecheck unit unit-postgres check-deploy \
        bench bench-sweep bench-first-page bench-load bench-audit-locks bench-board clean

# uv lives in its own small virtual environment so that syncing .venv never touches it.
$(UV):
	@PY=$$(scripts/find-python) && echo "Using $$PY" && "$$PY" -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

setup: $(UV)
	$(UV) sync --frozen --compile-bytecode --python "$$(scripts/find-python)"

frontend:
	npm ci --no-audit --no-fund --loglevel=error
	npm run build

chromium:
	scripts/ensure-chromium

# Set up, migrate the embedded SQLite database, load the demo and serve on this machine only
# (on port $(PORT): 8000 unless `make run PORT=...`).
run: setup frontend
	.venv/bin/escalate-manage migrate --noinput
	.venv/bin/escalate-manage load_demo
	@echo
	@echo "Escalate is running at http://127.0.0.1:$(PORT)/ (demo data; Ctrl-C to stop)."
	@echo "Sign in as any demo account listed on the sign-in page, e.g."
	@echo "  northmoor.practitioner.police  /  password: demo-password-2026"
	@echo "(the full list of demo sign-ins is printed above)"
	@echo "A background worker runs beside the server: reminders and e-mail (written to var/mail/)."
	@echo
	.venv/bin/escalate-manage run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	.venv/bin/escalate-manage runserver --noreload 127.0.0.1:$(PORT)

plan: setup
	.venv/bin/escalate plan --procedure north-east-lincolnshire --raised 2025-12-19

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/mypy

# Browser tests run in their own process: Playwright's sync API keeps an event loop open.
unit: setup frontend chromium
	.venv/bin/pytest -m "not browser"
	.venv/bin/pytest -m browser

unit-postgres: setup frontend
	DATABASE_URL=$(POSTGRES_URL) .venv/bin/pytest -q -m "not browser" \
	    tests/cases tests/directory tests/demo tests/notifications tests/documents tests/panels \
	    tests/attachments tests/journeys tests/accounts tests/audit \
	    tests/sso tests/security tests/insights

# Production settings pass Django's deployment checks with no warning at all.
check-deploy: setup frontend
	DJANGO_SETTINGS_MODULE=escalate.config.settings.production \
	DJANGO_SECRET_KEY="$$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(45))')" \
	DJANGO_ALLOWED_HOSTS=escalate.example.org DATABASE_URL=$(POSTGRES_URL) \
	.venv/bin/escalate-manage check --deploy --fail-level WARNING

test: lint typecheck check-deploy unit unit-postgres

bench: setup
	.venv/bin/python benchmarks/working_days.py

# The deadline sweep over 1,000,000 open stages, on its own PostgreSQL database (escalate_bench).
bench-sweep: setup
	.venv/bin/python benchmarks/sweep.py

# A fresh web worker's boot and first escalation page (the demo, in a SQLite file of its own).
bench-first-page: setup frontend
	.venv/bin/python benchmarks/first_page.py

# The pages under load at 100,000 escalations (gunicorn, autocannon), each against a bare Django
# view in the same round, on PostgreSQL database escalate_scale (generated on the first run, kept).
bench-load: setup frontend
	.venv/bin/python benchmarks/load.py

# Audited escalation pages of four partnerships at once (4 workers): any wait on a shared lock?
bench-audit-locks: setup frontend
	.venv/bin/python benchmarks/audit_locks.py

# The board's view at 100,000 escalations: the dashboard, its lists, the annual report and the
# register's export (rows a second, peak memory), on the load benchmark's database.
bench-board: setup frontend
	.venv/bin/python benchmarks/board.py

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules \
	       src/escalate/static/build artifacts
