"""Shared pytest configuration for tests/."""

# The grader's fixture notebooks (infinite loops, kernel kills, invalid JSON, ...) are
# data for tests/test_grade.py, not tests: keep `pytest --nbval` from collecting them.
collect_ignore_glob = ["fixtures/*"]
