import os
import sys
import threading

from .cli import main

code = main()
# In process (--in-process), a target's thread (a call that hung, a thread its import
# started) must neither keep the program alive after its verdict nor abort it at exit.
if any(t is not threading.main_thread() and t.is_alive() for t in threading.enumerate()):
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
