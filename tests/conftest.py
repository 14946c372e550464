"""Shared by every test module: the Hypothesis profile named by HYPOTHESIS_PROFILE."""

import os

from conformance.profiles import load_profile

load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
