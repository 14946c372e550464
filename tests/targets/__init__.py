"""Tiny targets for the engine's own tests: each breaks exactly one rule (or misbehaves)."""
