"""Promises tensor_quant in its CONFORMANCE_TARGET but lost it (a refactor, a bad merge);
breaks the target contract (a promised part must be there: its properties fail instead of
skipping, so a CI gate cannot go green on a kernel that lost half its API)."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"quant_per_tensor", "quant_per_channel"})

fake_tensor_quant, _lost = export(Kernel())  # the bug: tensor_quant is not exported
CONFORMANCE_TARGET = {"exposes": ("fake_tensor_quant", "tensor_quant")}
