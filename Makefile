# The two commands of the README's quick start:
#   make tour   -- set up a virtual environment and run `gradsheet tour`
#   make test   -- set up a virtual environment with the dev extras and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: tour test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz,onnx,dev]"
	touch $@ $(VENV)/.installed-run

tour: $(VENV)/.installed-run
	$(BIN)/gradsheet tour $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(ARGS)

# Benchmarks measure with OpenBLAS's own kernel choice: the two variables are unset here only.
bench: $(VENV)/.installed-dev
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python benchmarks/mlp.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
