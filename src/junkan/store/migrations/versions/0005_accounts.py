"""accounts: user role and status, API-client use, token handles, login throttling

* ``users.role`` (``member`` | ``admin``), ``users.disabled_at``, ``users.deleted_at``; the
  oldest user of each organisation becomes its admin, so every existing organisation keeps
  someone who can manage it.
* ``api_clients.last_used_at``.
* ``access_tokens.id`` (public handle, filled for existing tokens) and
  ``access_tokens.client_id`` (the client a bearer token was issued to).
* ``login_throttle``: failed sign-ins per account and per client address.

Downgrade keeps disabled users locked out although revision 0004 has no such notion: their
password and client-secret hashes get a ``!`` prefix (no hash verifies then) and their tokens
are deleted; upgrading again turns the prefix back into ``disabled_at``. Deleted users were
erased on deletion (e-mail ``deleted-<id>@deleted.invalid``, password ``!``) and stay so.

Revision ID: 0005
Revises: 0004
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DELETED_EMAIL = "deleted-%@deleted.invalid"


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as b:
        b.add_column(sa.Column('role', sa.String(length=16), nullable=False,
                               server_default='member'))
        b.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('api_clients', schema=None) as b:
        b.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('access_tokens', schema=None) as b:
        b.add_column(sa.Column('id', sa.String(length=32), nullable=True))
        b.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))

    conn = op.get_bind()
    for (token_hash,) in conn.execute(sa.text("SELECT token_hash FROM access_tokens")).all():
        conn.execute(sa.text("UPDATE access_tokens SET id = :id WHERE token_hash = :h"),
                     {"id": uuid.uuid4().hex, "h": token_hash})
    with op.batch_alter_table('access_tokens', schema=None) as b:
        b.alter_column('id', existing_type=sa.String(length=32), nullable=False)
        b.create_index(b.f('ix_access_tokens_id'), ['id'], unique=True)
        b.create_index(b.f('ix_access_tokens_client_id'), ['client_id'], unique=False)

    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'))
    with op.batch_alter_table('login_throttle', schema=None) as b:
        b.create_index(b.f('ix_login_throttle_updated_at'), ['updated_at'], unique=False)

    now = sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True))
    # users erased by a deletion (before a downgrade) are deleted again
    conn.execute(sa.text("UPDATE users SET deleted_at = :now WHERE email LIKE :pattern")
                 .bindparams(now), {"pattern": DELETED_EMAIL})
    # users disabled before a downgrade (see downgrade) are disabled again
    conn.execute(sa.text(
        "UPDATE api_clients SET secret_hash = SUBSTR(secret_hash, 2) "
        "WHERE secret_hash LIKE '!%' AND user_id IN (SELECT id FROM users "
        "WHERE password_hash LIKE '!%' AND deleted_at IS NULL)"))
    conn.execute(sa.text(
        "UPDATE users SET disabled_at = :now, password_hash = SUBSTR(password_hash, 2) "
        "WHERE password_hash LIKE '!%' AND deleted_at IS NULL").bindparams(now))
    # each organisation's oldest remaining user administers it
    conn.execute(sa.text(
        "UPDATE users SET role = 'admin' WHERE deleted_at IS NULL AND id IN ("
        " SELECT u.id FROM users u WHERE u.deleted_at IS NULL AND NOT EXISTS ("
        "  SELECT 1 FROM users v WHERE v.org_id = u.org_id AND v.deleted_at IS NULL"
        "  AND (v.created_at < u.created_at OR (v.created_at = u.created_at AND v.id < u.id))))"))


def downgrade() -> None:
    conn = op.get_bind()
    # keep disabled users locked out: 0004 has no status, so make their hashes unusable
    conn.execute(sa.text(
        "DELETE FROM access_tokens WHERE user_id IN (SELECT id FROM users "
        "WHERE disabled_at IS NOT NULL OR deleted_at IS NOT NULL)"))
    conn.execute(sa.text(
        "UPDATE api_clients SET secret_hash = '!' || secret_hash WHERE user_id IN ("
        "SELECT id FROM users WHERE disabled_at IS NOT NULL AND deleted_at IS NULL)"))
    conn.execute(sa.text(
        "UPDATE users SET password_hash = '!' || password_hash "
        "WHERE disabled_at IS NOT NULL AND deleted_at IS NULL"))

    with op.batch_alter_table('login_throttle', schema=None) as b:
        b.drop_index(b.f('ix_login_throttle_updated_at'))
    op.drop_table('login_throttle')
    op.drop_index('ix_access_tokens_client_id', table_name='access_tokens')
    op.drop_index('ix_access_tokens_id', table_name='access_tokens')
    # plain DROP COLUMN (SQLite >= 3.35 and PostgreSQL): a batch copy of ``users`` would trip
    # the foreign keys that point at it
    for table, column in (('access_tokens', 'client_id'), ('access_tokens', 'id'),
                          ('api_clients', 'last_used_at'), ('users', 'deleted_at'),
                          ('users', 'disabled_at'), ('users', 'role')):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
