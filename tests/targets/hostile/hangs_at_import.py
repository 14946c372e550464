"""Never finishes its import."""

import threading

threading.Event().wait()
