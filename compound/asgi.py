"""The ASGI entry point for uvicorn: `uvicorn compound.asgi:app`."""

from compound.app import create_app

app = create_app()
