"""Set the BLAS thread count from --threads before NumPy is imported.

OpenBLAS, MKL and OpenMP read these variables once, when NumPy loads them, so every
benchmark script calls `set_thread_env()` first thing (this module imports no NumPy).
"""
import os


def thread_count_from_argv(argv):
    """--threads N from the command line (1 if absent)."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


def set_thread_env(argv):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = thread_count_from_argv(argv)
