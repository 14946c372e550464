"""Implementations of the article's API that ship with the suite as targets."""
