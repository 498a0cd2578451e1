"""Makes the helpers beside the tests importable (simproc, engine)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
