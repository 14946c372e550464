"""Loads the conformance pytest plugin for ``pytest --pyargs conformance --target T``."""

from conformance.pytest_plugin import (  # noqa: F401
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_generate_tests,
)
