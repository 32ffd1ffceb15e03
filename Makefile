# `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
# Both work on a fresh Debian machine: they install the system packages the
# build needs (as root; otherwise they print the command), find Python 3.13 and
# build .venv first.
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# Which system packages to check: `test` adds Chromium for the browser tests.
# Target-specific, so the prerequisites of `make test` see it too.
SYSTEM_PACKAGES_FOR := run
test: SYSTEM_PACKAGES_FOR := test

.PHONY: run test lint messages venv clean system-packages

system-packages:
	@python313="$$(bin/find-python313)" && $$python313 bin/system_packages.py $(SYSTEM_PACKAGES_FOR)

venv: $(VENV)/.installed

# Order-only: the check runs every time (it takes milliseconds) without forcing a reinstall.
$(VENV)/.installed: requirements.txt requirements-dev.txt | system-packages
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
