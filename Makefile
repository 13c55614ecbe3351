# The two commands the README promises:
#   make run   set everything up and run the application on its embedded default
#   make test  set everything up and run every test and check
SHELL := /bin/sh
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: run test setup lint typecheck unit bench clean

# uv lives in its own small virtual environment so that syncing .venv never touches it.
$(UV):
	@PY=$$(scripts/find-python) && echo "Using $$PY" && "$$PY" -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

setup: $(UV)
	$(UV) sync --frozen --python "$$(scripts/find-python)"

run: setup
	.venv/bin/escalate plan --procedure north-east-lincolnshire --raised 2025-12-19

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/mypy

unit: setup
	.venv/bin/pytest

test: lint typecheck unit

bench: setup
	.venv/bin/python benchmarks/working_days.py

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis
