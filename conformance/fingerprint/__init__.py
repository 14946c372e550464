"""Fingerprints: which combination of named variations a kernel implements.

``sample`` builds the boundary-heavy probes; ``search`` runs the target on
them and searches the combinations of variations for one that fits.
"""

from .search import Fingerprint, call_reference, fingerprint, observe, render

__all__ = ["Fingerprint", "call_reference", "fingerprint", "observe", "render"]
