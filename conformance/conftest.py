"""Loads the conformance pytest plugin for ``pytest --pyargs conformance --target T``.

When the plugin is also named with ``-p conformance.pytest_plugin`` its own
hooks run, and these stand aside so nothing is parametrized twice.
"""

from conformance import pytest_plugin

_NAME = "conformance.pytest_plugin"


def _plugin_loaded(config) -> bool:
    return config.pluginmanager.has_plugin(_NAME)


def pytest_addoption(parser):
    pytest_plugin.pytest_addoption(parser)  # idempotent


def pytest_generate_tests(metafunc):
    if not _plugin_loaded(metafunc.config):
        pytest_plugin.pytest_generate_tests(metafunc)


def pytest_collection_modifyitems(config, items):
    if not _plugin_loaded(config):
        pytest_plugin.pytest_collection_modifyitems(config, items)
