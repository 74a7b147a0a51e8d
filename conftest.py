"""Root pytest configuration: applies to tests/ and to nbval's runs of lessons/ and solutions/.

`pytest -n 2` runs two workers on the two cores, each with its own notebook kernel.
A BLAS library that also starts one thread per core would put four busy threads on two
cores and slow every matrix product several-fold, so each process (and each kernel,
which inherits the environment) uses one BLAS thread unless the caller chose otherwise.
"""
import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
