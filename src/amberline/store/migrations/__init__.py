"""Alembic migrations for the store, run in code by `amberline.store.migrate` (no alembic.ini)."""
