# `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
# Both work on a fresh machine: they find Python 3.13 and build .venv first.
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test lint messages venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python313="$$(bin/find-python313)" && \
	  { [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' || $$python313 -m venv --clear $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

run: venv
	bin/run-dev

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

messages: venv
	$(PY) manage.py makemessages --locale es_MX --ignore '.venv/*' --ignore 'var/*' --ignore 'staticfiles/*' --ignore conftest.py --ignore '*/tests/*'
	$(PY) manage.py compilemessages --locale es_MX --ignore '.venv/*'

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
