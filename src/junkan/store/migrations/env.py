"""Alembic environment: uses the connection junkan passes in (``Database.migrate``)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from junkan.store import trace_tables  # noqa: F401  (registers the trace tables)
from junkan.store.tables import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:  # command-line use: alembic -x ... with sqlalchemy.url in the config
    engine = engine_from_config(config.get_section(config.config_ini_section) or {},
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
