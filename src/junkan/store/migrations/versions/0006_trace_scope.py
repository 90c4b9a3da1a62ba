"""trace: lot ids scoped per organisation, encrypted signing keys, outbound registrations and
the delivery outbox

* ``trace_lots``: ids unique per creating organisation (``UNIQUE (lot, creator_org)``
  instead of ``UNIQUE (lot)``), index on ``shipped_to``. On SQLite the table is rebuilt
  (its inline UNIQUE cannot be dropped); the foreign keys of ``trace_values`` and
  ``trace_inputs`` are checked at commit (``PRAGMA defer_foreign_keys``) and hold again once
  the rows are copied back.
* ``trace_keys.private_key``: encrypted with the master key (``junkan.trace.keystore``); the
  downgrade decrypts them (it needs the same master key).
* ``trace_balance_entries.claim_id``: prefixed with the organisation id (a claim id was
  global, so one organisation's lot id could block another's claim).
* wider ``trace_events.lot`` / ``trace_notifications.lot`` (qualified references
  ``organisation/id``).
* new ``trace_webhook_origins`` (origins an administrator allows an organisation's webhook to
  reach) and ``trace_outbox`` (pending deliveries of the one delivery worker).

The downgrade refuses, with a message, when two organisations use the same lot id (revision
0005 cannot hold that) or a reference is longer than 0005's columns.

Revision ID: 0006
Revises: 0005
"""

from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from junkan.trace.keystore import KeyRing

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LOT_COLUMNS = ("seq", "lot", "creator_org", "owner_org", "shipped_to", "received", "material",
               "mass_kg", "consumed_kg", "site", "custody", "declared", "own", "own_cfp",
               "created_at")


def _lots_columns() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('lot', sa.String(length=120), nullable=False),
        sa.Column('creator_org', sa.String(length=32), nullable=False),
        sa.Column('owner_org', sa.String(length=32), nullable=False),
        sa.Column('shipped_to', sa.String(length=32), nullable=True),
        sa.Column('received', sa.Boolean(), nullable=False),
        sa.Column('material', sa.String(length=200), nullable=False),
        sa.Column('mass_kg', sa.Float(), nullable=False),
        sa.Column('consumed_kg', sa.Float(), nullable=False),
        sa.Column('site', sa.String(length=200), nullable=False),
        sa.Column('custody', sa.String(length=40), nullable=False),
        sa.Column('declared', sa.JSON(), nullable=False),
        sa.Column('own', sa.JSON(), nullable=False),
        sa.Column('own_cfp', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['creator_org'], ['organisations.id'], ),
        sa.ForeignKeyConstraint(['owner_org'], ['organisations.id'], ),
        sa.ForeignKeyConstraint(['shipped_to'], ['organisations.id'], ),
        sa.PrimaryKeyConstraint('seq'),
    ]


def _rebuild_sqlite_lots(scoped: bool) -> None:
    """Recreate trace_lots with ids unique per creator (``scoped``) or globally, keeping
    every row and its seq (the children's foreign keys are checked at commit)."""
    conn = op.get_bind()
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN")  # the pragma lasts until the transaction ends
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    conn.exec_driver_sql("CREATE TABLE _trace_lots_0006 AS SELECT * FROM trace_lots")
    op.drop_table('trace_lots')
    unique = sa.UniqueConstraint('lot', 'creator_org', name='uq_trace_lots_lot_creator') \
        if scoped else sa.UniqueConstraint('lot')
    op.create_table('trace_lots', *_lots_columns(), unique)
    op.create_index('ix_trace_lots_creator_org', 'trace_lots', ['creator_org'])
    op.create_index('ix_trace_lots_owner_org', 'trace_lots', ['owner_org'])
    if scoped:
        op.create_index('ix_trace_lots_shipped_to', 'trace_lots', ['shipped_to'])
    cols = ", ".join(LOT_COLUMNS)
    conn.exec_driver_sql(f"INSERT INTO trace_lots ({cols}) SELECT {cols} FROM _trace_lots_0006")
    conn.exec_driver_sql("DROP TABLE _trace_lots_0006")


def _keyring() -> "KeyRing":
    from junkan.trace.keystore import load_keyring

    url = op.get_bind().engine.url.render_as_string(hide_password=False)
    return load_keyring(url)


def _has_keys() -> bool:
    return bool(op.get_bind().execute(sa.text("SELECT COUNT(*) FROM trace_keys")).scalar())


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        _rebuild_sqlite_lots(scoped=True)
    else:
        for uc in sa.inspect(conn).get_unique_constraints('trace_lots'):
            if uc["column_names"] == ["lot"] and uc["name"]:
                op.drop_constraint(uc["name"], 'trace_lots', type_='unique')
        op.create_unique_constraint('uq_trace_lots_lot_creator', 'trace_lots',
                                    ['lot', 'creator_org'])
        op.create_index('ix_trace_lots_shipped_to', 'trace_lots', ['shipped_to'])
        for table, column, old, new in (("trace_events", "lot", 120, 330),
                                        ("trace_notifications", "lot", 120, 330),
                                        ("trace_keys", "private_key", 64, 200),
                                        ("trace_balance_entries", "claim_id", 160, 200)):
            op.alter_column(table, column, type_=sa.String(length=new),
                            existing_type=sa.String(length=old))

    # a claim id names its organisation: one organisation's lot id cannot block another's
    conn.execute(sa.text("UPDATE trace_balance_entries SET claim_id = org_id || ':' || claim_id "
                         "WHERE claim_id IS NOT NULL"))

    if _has_keys():
        from junkan.trace.keystore import key_id

        ring = _keyring()
        rows = conn.execute(sa.text("SELECT org_id, private_key FROM trace_keys")).all()
        for org_id, private in rows:
            if key_id(private) is None:
                conn.execute(sa.text("UPDATE trace_keys SET private_key = :k WHERE org_id = :o"),
                             {"k": ring.encrypt(org_id, private), "o": org_id})

    op.create_table(
        'trace_webhook_origins',
        sa.Column('org_id', sa.String(length=32), nullable=False),
        sa.Column('origin', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
        sa.PrimaryKeyConstraint('org_id', 'origin'))
    # webhooks registered before: their origins stay allowed (an administrator set them up
    # when any URL was accepted; the outbound policy still refuses private addresses)
    hooks = conn.execute(sa.text("SELECT org_id, url FROM trace_webhooks")).all()
    if hooks:
        from datetime import UTC, datetime

        from junkan.core.outbound import OutboundRefused, url_origin

        now = datetime.now(UTC)
        for org_id, url in hooks:
            try:
                origin = str(url_origin(url))
            except OutboundRefused:
                continue
            conn.execute(sa.text("INSERT INTO trace_webhook_origins (org_id, origin, "
                                 "created_at) VALUES (:o, :g, :t)").bindparams(
                sa.bindparam("t", now, type_=sa.DateTime(timezone=True))),
                {"o": org_id, "g": origin})

    op.create_table(
        'trace_outbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('org_id', sa.String(length=32), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_trace_outbox_due', 'trace_outbox', ['status', 'next_at'])
    op.create_index('ix_trace_outbox_org_id', 'trace_outbox', ['org_id'])


def downgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    shared = conn.execute(sa.text(
        "SELECT COUNT(*) FROM (SELECT lot FROM trace_lots GROUP BY lot HAVING COUNT(*) > 1) "
        "AS d")).scalar()
    if shared:
        raise RuntimeError(f"cannot downgrade below 0006: {shared} lot id(s) are used by more "
                           "than one organisation, which revision 0005 cannot store")
    long_refs = conn.execute(sa.text(
        "SELECT (SELECT COUNT(*) FROM trace_events WHERE LENGTH(lot) > 120) + "
        "(SELECT COUNT(*) FROM trace_notifications WHERE LENGTH(lot) > 120)")).scalar()
    if long_refs:
        raise RuntimeError(f"cannot downgrade below 0006: {long_refs} events or notifications "
                           "refer to a lot by a reference longer than 120 characters")

    op.drop_index('ix_trace_outbox_org_id', table_name='trace_outbox')
    op.drop_index('ix_trace_outbox_due', table_name='trace_outbox')
    op.drop_table('trace_outbox')
    op.drop_table('trace_webhook_origins')

    if _has_keys():
        from junkan.trace.keystore import key_id

        ring = _keyring()
        rows = conn.execute(sa.text("SELECT org_id, private_key FROM trace_keys")).all()
        for org_id, stored in rows:
            if key_id(stored) is not None:
                conn.execute(sa.text("UPDATE trace_keys SET private_key = :k WHERE org_id = :o"),
                             {"k": ring.decrypt(org_id, stored), "o": org_id})

    prefix_len = "LENGTH(org_id) + 2"
    conn.execute(sa.text(f"UPDATE trace_balance_entries SET claim_id = SUBSTR(claim_id, "
                         f"{prefix_len}) WHERE claim_id LIKE org_id || ':%'"))

    if sqlite:
        _rebuild_sqlite_lots(scoped=False)
    else:
        for table, column, old, new in (("trace_events", "lot", 120, 330),
                                        ("trace_notifications", "lot", 120, 330),
                                        ("trace_keys", "private_key", 64, 200),
                                        ("trace_balance_entries", "claim_id", 160, 200)):
            op.alter_column(table, column, type_=sa.String(length=old),
                            existing_type=sa.String(length=new))
        op.drop_index('ix_trace_lots_shipped_to', table_name='trace_lots')
        op.drop_constraint('uq_trace_lots_lot_creator', 'trace_lots', type_='unique')
        op.create_unique_constraint('trace_lots_lot_key', 'trace_lots', ['lot'])
