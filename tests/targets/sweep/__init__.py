"""Deliberately broken kernels the sweep must catch (each one bug class of SPEC.md section 5)."""
