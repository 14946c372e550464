"""Correct, with a display name full of ANSI escapes, a newline and rich markup."""

from .._kernel import QuantDescriptor, make  # noqa: F401

CONFORMANCE_TARGET = {"name": "\x1b[31mred[/] [bold]kernel\nfake_per_tensor: pass\x1b[0m"}

fake_tensor_quant, tensor_quant = make()
