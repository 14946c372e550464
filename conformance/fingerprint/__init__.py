"""Fingerprints: which combination of named variations a kernel implements.

``sample`` builds the boundary-heavy probes; ``observe`` runs the target on
them (in a child process, each call under a timeout); ``search`` searches
the combinations of variations for one that fits.
"""

from .observe import Observed, observe
from .search import Fingerprint, call_reference, fingerprint, render

__all__ = ["Fingerprint", "Observed", "call_reference", "fingerprint", "observe", "render"]
