"""The ASGI entry point for uvicorn: `uvicorn compound.shell.asgi:app`."""

import gc

from compound.shell.app import create_app

app = create_app()
# Move everything loaded at start-up out of the garbage collector's reach. A full collection walks every
# object of the process (SQLAlchemy, FastAPI, Babel: ~50 ms here), and a 200-meter round sheet allocates
# enough to trigger one every ~75 requests: that was the round sheet's p99. What requests allocate is
# collected as before.
gc.freeze()
