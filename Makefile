# Two commands: `make run` and `make test`. Everything else is for developers and CI.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv migrate demo lint format messages bench worker beat clean check

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

# DEMO=year (default): the demo county and a year of cases made through the services
# (about 2,000; DEMO_COUNT=… for another size). DEMO=empty: the county with no cases.
DEMO ?= year
DEMO_COUNT ?= 2000

demo: migrate
	$(PY) manage.py load_demo_county
	@if [ "$(DEMO)" != "empty" ]; then $(PY) manage.py load_demo_year --count $(DEMO_COUNT); fi

# Web server + Celery worker with embedded beat, on the embedded defaults (SQLite and a
# file-system broker under var/). Ctrl-C stops all of them.
run: demo
	@echo ""
	@echo "  罗甸县一站式矛盾纠纷化解平台: http://$(HOST):$(PORT)/"
	@echo "  演示账号 (密码均为 Luodian@2026): clerk 窗口登记员 · dispatcher 调度员 · officer 承办人(人社局)"
	@echo "      officer2 承办人(司法局) · mediator 调解员 · followup 回访员 · supervisor 督查 · admin 管理员"
	@echo "  API 文档: http://$(HOST):$(PORT)/api/docs/"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A luodian_platform worker --beat --loglevel=INFO --concurrency=2 \
	    --schedule=var/celerybeat-schedule & \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: venv
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py i18n_check

messages: venv
	$(PY) manage.py makemessages -l en --no-obsolete -i '.venv/*' -i 'var/*' -i 'staticfiles/*' -i 'tests/*' -i 'bench/*'
	$(PY) manage.py compilemessages -i .venv

worker: venv
	$(VENV)/bin/celery -A luodian_platform worker --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A luodian_platform beat --loglevel=INFO --schedule=var/celerybeat-schedule

bench: venv
	bash bench/run.sh

clean:
	rm -rf var/ staticfiles/ .pytest_cache test-output
