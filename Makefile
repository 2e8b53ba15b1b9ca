# The course in two commands: `make run` (execute every notebook headless) and `make test`.
# Each target sets up .venv first if it is missing or pyproject.toml changed.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_FLAGS ?=
ARGS   ?=

.PHONY: setup run test unit lab student lint bench robust clean site links

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -e ".[course,dev]"
	touch $(STAMP)

run: setup  ## execute all notebooks into build/ and write build/summary.md (ARGS="--profile full ...")
	$(PY) -m course_utils run $(ARGS)

robust: setup  ## every notebook over seeds 0-4 on both data sets → build/robustness.md (ARGS="05_regularized_autoencoders")
	$(PY) -m course_utils sweep --seeds 0-4 $(ARGS)

test: setup lint  ## unit tests, then every notebook and homework solution under nbval
	$(PY) -m pytest $(PYTEST_FLAGS) --nbval-lax --nbval-current-env tests notebooks homework/solutions

unit: setup  ## the fast lane (about a minute): every test but the kernel, browser, nbgrader and slow ones
	$(PY) -m pytest $(PYTEST_FLAGS) -m "not kernel and not browser and not nbgrader and not slow" tests

lint: setup
	$(PY) -m ruff check .

lab: setup  ## open JupyterLab on the course
	$(VENV)/bin/jupyter lab

student: setup  ## regenerate homework/hw*.ipynb from homework/solutions/
	$(PY) -m course_utils student

bench: setup  ## training throughput, course path vs tutorial pipeline → build/bench.md
	$(PY) benchmarks/bench.py $(ARGS)

site: setup  ## the course website from the last `make run` → build/site/index.html (MathJax 3 from npm, first time)
	$(PY) -m course_utils site

links: setup  ## point every Colab/Binder link at one repository: make links REPO=owner/name
	$(PY) -m course_utils links $(if $(REPO),--repo $(REPO))

clean:
	rm -rf build .pytest_cache
