"""The registry of properties: stable name -> Property.

One module per area; each exports ``PROPERTIES``, a list. The names are the
suite's stable ids (reports, expectations files and ``--property`` use them).
"""

from __future__ import annotations

from ..calls import Caller, TargetHung
from . import (
    affine,
    arguments,
    autograd,
    descriptor,
    errors,
    fp8,
    golden,
    gradients,
    hygiene,
    layouts,
    legacy,
    lifetime,
    process_state,
    serialization,
    values,
)
from ._base import Context, Counterexample, Falsified, Property, Skip

__all__ = ["PROPERTIES", "Caller", "Context", "Counterexample", "Falsified", "Property", "Skip",
           "TargetHung"]

PROPERTIES: dict[str, Property] = {
    p.name: p
    for module in (values, errors, gradients, hygiene, descriptor, golden, layouts, autograd,
                   arguments, lifetime, process_state,
                   legacy, affine, fp8, serialization)  # SPEC section 6
    for p in module.PROPERTIES
}
