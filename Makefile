# Set-up is two commands: `make demo` and `make test`. Each creates .venv when missing and
# (re)installs the project into it whenever setup.cfg or pyproject.toml changed.
# Needs only python3 (3.11+) with pip; nothing else is called.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo demo-symgraph test bench lint clean notebooks

# Some distributions ship python3 without ensurepip: then make the venv without pip and
# install pip into it with the system's pip.
$(PY):
	$(PYTHON) -m venv $(VENV) || { $(PYTHON) -m venv --clear --without-pip $(VENV) && \
		$(PYTHON) -m pip --python $(PY) install --quiet pip; }

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -c "import pathlib; pathlib.Path('$(STAMP)').touch()"

# BLAS on one thread: on a busy machine the convnet's small matrix products ran 10x slower
# with OpenBLAS's default threads (README, "Your own code with the project's environment").
demo: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) -m keras_front.demo

demo-symgraph: $(STAMP)
	$(PY) -m symgraph.demo

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.overhead
	$(PY) -m bench.train_step
	$(PY) -m bench.compile_time
	$(PY) -m bench.fusion
	$(PY) -m bench.conv
	$(PY) -m bench.conv_layer
	$(PY) -m bench.keras_mlp
	$(PY) -m bench.keras_lstm
	$(PY) -m bench.keras_convnet
	$(PY) -m bench.distributed
	$(PY) -m bench.image_augment
	$(PY) -m bench.viewer
	$(PY) -m bench.keras_scaling
	$(PY) -m bench.scaling

notebooks: $(STAMP)
	$(PY) -m tests.notebooks.execute

lint: $(STAMP)
	$(PY) -m pip install --quiet ruff
	$(PY) -m ruff check symgraph keras_front tests bench

clean:
	$(PYTHON) -c "import shutil; [shutil.rmtree(p, ignore_errors=True) for p in ('$(VENV)', 'build', 'symgraph.egg-info', '.pytest_cache')]"
