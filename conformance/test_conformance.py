"""pytest entry to the suite: ``pytest --pyargs conformance --target T``.

Parametrized over (target, property) by ``conformance.pytest_plugin``;
each test reports the runner's verdict, so pytest and the CLI agree.
"""

from conformance.pytest_plugin import assert_conforms, result_for


def test_property(request, conformance_target, conformance_property):
    assert_conforms(result_for(request.config, conformance_target, conformance_property))
