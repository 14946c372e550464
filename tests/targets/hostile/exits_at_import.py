"""Ends its process with status 0 (os._exit) while it is imported."""

import os

os._exit(0)
