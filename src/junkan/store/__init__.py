"""Persistent store: SQLAlchemy 2 models, Alembic migrations, organisation-scoped repositories.

SQLite (WAL mode) by default; PostgreSQL when ``JUNKAN_DATABASE_URL`` says so.
"""

from junkan.store.db import Database, Settings

__all__ = ["Database", "Settings"]
