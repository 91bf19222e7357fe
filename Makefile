# Cohesion Check-ins: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test faults lint check bench bench-slack bench-email bench-web bench-web-count clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/checkins demo

test: install
	$(BIN)/pytest

# the faults suite alone (make test runs it too): real service processes killed, stopped and
# cut off from PostgreSQL, the relay and Slack, plus bad input and attacks; prints its counts
faults: install
	$(BIN)/pytest tests/faults

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

check: lint test

bench: install
	$(BIN)/python bench/run.py

# the Slack benchmark alone; prints its Markdown section (make bench writes docs/benchmarks.md)
bench-slack: install
	$(BIN)/python bench/bench_slack.py

# the email benchmark alone; prints its Markdown section (make bench writes docs/benchmarks.md)
bench-email: install
	$(BIN)/python bench/bench_email.py

# the web check-in benchmark alone; prints its Markdown section (make bench writes docs/benchmarks.md)
bench-web: install
	$(BIN)/python bench/bench_web.py

# instructions an answer on the web path, service and floor, counted by callgrind (needs valgrind)
bench-web-count: install
	$(BIN)/python bench/count_web.py

clean:
	rm -rf $(VENV) var/demo .pytest_cache .mypy_cache .ruff_cache
