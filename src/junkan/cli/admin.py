"""``junkan admin``: the platform operator's commands, run on the database directly (the same
``--database-url`` / ``$JUNKAN_DATABASE_URL`` as ``junkan serve``). They act across
organisations — create organisations and their first admins, manage any user, API client,
token or model share — and are recorded in each organisation's audit log as by
``operator``.

Unknown names (organisation, e-mail, client id, share) and refused passwords print one
``error`` line to stderr and exit with code 2.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from junkan.cli.common import fail

# The store and the API's account rules need the optional 'service' extra (SQLAlchemy,
# argon2, FastAPI): they are imported inside the commands, never for ``junkan --help``.
if TYPE_CHECKING:
    from junkan.store.repo import Store
    from junkan.store.tables import Organisation, User

admin_app = typer.Typer(no_args_is_help=True, help="Platform operator: organisations, users, "
                        "API clients, tokens and model shares (on the database directly).")
org_app = typer.Typer(no_args_is_help=True, help="Organisations.")
user_app = typer.Typer(no_args_is_help=True, help="Users: create, list, disable, enable, "
                       "delete, reset password, set role, revoke tokens, unlock.")
client_app = typer.Typer(no_args_is_help=True, help="OAuth2 API clients.")
share_app = typer.Typer(no_args_is_help=True, help="Model shares between organisations.")
admin_app.add_typer(org_app, name="org")
admin_app.add_typer(user_app, name="user")
admin_app.add_typer(client_app, name="client")
admin_app.add_typer(share_app, name="share")

out = Console(soft_wrap=True, emoji=False)


class Role(StrEnum):
    member = "member"
    admin = "admin"


DatabaseUrl = Annotated[str | None, typer.Option(
    "--database-url", help="SQLAlchemy URL (default: $JUNKAN_DATABASE_URL or "
    "sqlite:///var/junkan.db).", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input.")]
Generate = Annotated[bool, typer.Option(
    "--generate", help="Generate a random password and print it once.")]


def _store(database_url: str | None) -> Store:
    from junkan.store.db import Database, Settings  # the 'service' extra
    from junkan.store.repo import Store

    db = Database(database_url or Settings().database_url)
    db.migrate()
    restrict = getattr(db, "restrict_files", None)
    if restrict is not None:
        restrict()
    return Store(db)


def _org(store: Store, name: str) -> Organisation:
    org = store.organisation_by_name(name)
    if org is None:
        fail(f"no organisation named {name!r}")
    return org


def _user(store: Store, email: str) -> User:
    user = store.user_by_email(email)
    if user is None:
        fail(f"no user with e-mail {email!r}")
    return user


def _password(email: str, password_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The new password (checked against the policy) and whether it was generated."""
    from junkan.api.passwords import (  # the 'service' extra
        PasswordRejected,
        check_password,
        generate_password,
    )

    if password_stdin and generate:
        fail("give either --password-stdin or --generate")
    if generate:
        return generate_password(), True
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password(password, email)
    except PasswordRejected as exc:
        fail(str(exc))
    return password, False


def _when(dt: datetime | None) -> str:
    from junkan.api.common import iso  # the 'service' extra

    return iso(dt) or ""


def _print(rows: list[dict[str, Any]], columns: list[str], title: str, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*[str(r[c]) if r[c] is not None else "–" for c in columns])
    out.print(table)


# ---- organisations -------------------------------------------------------------------------
@org_app.command("create")
def org_create(name: Annotated[str, typer.Argument(help="Organisation name (unique).")],
               database_url: DatabaseUrl = None) -> None:
    """Create an organisation (then: ``junkan admin user create --org NAME --role admin``)."""
    store = _store(database_url)
    name = name.strip()
    if not name or len(name) > 200:
        fail("an organisation name has 1 to 200 characters")
    if store.organisation_by_name(name) is not None:
        fail(f"an organisation named {name!r} exists already")
    org = store.create_organisation(name)
    out.print(f"created organisation {org.name!r} ({org.id})", highlight=False)


@org_app.command("list")
def org_list(database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Every organisation, with its number of users."""
    store = _store(database_url)
    users = store.list_users()
    rows = [{"id": o.id, "name": o.name, "users": sum(u.org_id == o.id for u in users),
             "created_at": _when(o.created_at)} for o in store.list_organisations()]
    _print(rows, ["name", "id", "users", "created_at"], "Organisations", as_json)


# ---- users ---------------------------------------------------------------------------------
@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="E-mail address (the sign-in name).")],
    org: Annotated[str, typer.Option("--org", help="Organisation name.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    role: Annotated[Role, typer.Option("--role", help="member or admin.")] = Role.member,
    password_stdin: PasswordStdin = False,
    generate: Generate = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user. The password is asked for twice, read from stdin (--password-stdin) or
    generated and printed once (--generate)."""
    from junkan.store.repo import AccountError  # the 'service' extra

    store = _store(database_url)
    organisation = _org(store, org)
    password, generated = _password(email, password_stdin, generate)
    try:
        user = store.create_user(organisation.id, email, password, name, role=role.value)
    except AccountError as exc:
        fail(str(exc))
    out.print(f"created {user.role} {user.email} in {organisation.name!r} ({user.id})",
              highlight=False)
    if generated:
        out.print(f"password: {password}", highlight=False)


@user_app.command("list")
def user_list(org: Annotated[str | None, typer.Option("--org", help="Only this "
                                                      "organisation.")] = None,
              database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Users (not deleted), with organisation, role and status."""
    store = _store(database_url)
    orgs = {o.id: o.name for o in store.list_organisations()}
    org_id = _org(store, org).id if org is not None else None
    rows = [{"email": u.email, "name": u.display_name, "organisation": orgs.get(u.org_id),
             "role": u.role, "status": "disabled" if u.disabled_at else "active", "id": u.id}
            for u in store.list_users(org_id)]
    _print(rows, ["email", "name", "organisation", "role", "status"], "Users", as_json)


@user_app.command("disable")
def user_disable(email: str, database_url: DatabaseUrl = None) -> None:
    """Disable a user: their tokens stop at once; password and API clients stop working."""
    store = _store(database_url)
    store.set_disabled(_user(store, email).id, True)
    out.print(f"disabled {email}", highlight=False)


@user_app.command("enable")
def user_enable(email: str, database_url: DatabaseUrl = None) -> None:
    """Enable a disabled user again (they sign in anew)."""
    store = _store(database_url)
    store.set_disabled(_user(store, email).id, False)
    out.print(f"enabled {email}", highlight=False)


@user_app.command("delete")
def user_delete(email: str,
                yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
                database_url: DatabaseUrl = None) -> None:
    """Delete a user: tokens and API clients go, e-mail, name and password are erased; the
    models, runs and audit events they made stay."""
    store = _store(database_url)
    user = _user(store, email)
    if not yes:
        typer.confirm(f"delete {user.email}?", abort=True)
    store.delete_user(user.id)
    out.print(f"deleted {email}", highlight=False)


@user_app.command("reset-password")
def user_reset_password(email: str, password_stdin: PasswordStdin = False,
                        generate: Generate = False, database_url: DatabaseUrl = None) -> None:
    """Set a user's password (asked for, from stdin, or generated and printed once); their
    sessions and tokens are revoked."""
    store = _store(database_url)
    user = _user(store, email)
    password, generated = _password(user.email, password_stdin, generate)
    store.set_password(user.id, password)
    out.print(f"password of {user.email} reset", highlight=False)
    if generated:
        out.print(f"password: {password}", highlight=False)


@user_app.command("set-role")
def user_set_role(email: str, role: Annotated[Role, typer.Argument(help="member or admin.")],
                  database_url: DatabaseUrl = None) -> None:
    """Make a user an admin of their organisation, or a member."""
    store = _store(database_url)
    store.set_role(_user(store, email).id, role.value)
    out.print(f"{email} is now {role.value}", highlight=False)


@user_app.command("revoke-tokens")
def user_revoke_tokens(email: str, database_url: DatabaseUrl = None) -> None:
    """Revoke every session and bearer token of a user (API clients stay)."""
    store = _store(database_url)
    n = store.revoke_user_tokens(_user(store, email).id)
    out.print(f"revoked {n or 0} token(s) of {email}", highlight=False)


@user_app.command("unlock")
def user_unlock(email: str, database_url: DatabaseUrl = None) -> None:
    """Clear a sign-in lock-out of an account (and of its API clients) at once."""
    from junkan.api.throttle import throttle_key  # the 'service' extra

    store = _store(database_url)
    keys = [throttle_key("account", email)]
    user = store.user_by_email(email)
    if user is not None:
        keys += [throttle_key("client", c.id) for c, _ in store.list_clients(user_id=user.id)]
    elif not store.throttle_clear(keys):
        fail(f"no user with e-mail {email!r}")
    store.throttle_clear(keys)
    out.print(f"unlocked {email}", highlight=False)


# ---- API clients ---------------------------------------------------------------------------
@client_app.command("list")
def client_list(org: Annotated[str | None, typer.Option("--org", help="Only this "
                                                        "organisation.")] = None,
                user: Annotated[str | None, typer.Option("--user", help="Only this user's "
                                                         "(e-mail).")] = None,
                database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """API clients (never their secrets)."""
    store = _store(database_url)
    orgs = {o.id: o.name for o in store.list_organisations()}
    org_id = _org(store, org).id if org is not None else None
    user_id = _user(store, user).id if user is not None else None
    rows = [{"client_id": c.id, "name": c.name, "user": u.email,
             "organisation": orgs.get(u.org_id), "created_at": _when(c.created_at),
             "last_used_at": _when(c.last_used_at) or None}
            for c, u in store.list_clients(org_id=org_id, user_id=user_id)]
    _print(rows, ["client_id", "name", "user", "organisation", "last_used_at"],
           "API clients", as_json)


@client_app.command("create")
def client_create(email: Annotated[str, typer.Argument(help="The user the client acts as.")],
                  name: Annotated[str, typer.Option("--name", help="A label.")] = "api",
                  database_url: DatabaseUrl = None) -> None:
    """Create client credentials for a user; the secret is printed once."""
    store = _store(database_url)
    user = _user(store, email)
    if user.disabled_at is not None:
        fail(f"{email} is disabled")
    cid, secret = store.create_client(user.id, name)
    out.print(f"client_id: {cid}\nclient_secret: {secret}", highlight=False)


@client_app.command("revoke")
def client_revoke(client_id: str, database_url: DatabaseUrl = None) -> None:
    """Revoke an API client and every token issued to it."""
    store = _store(database_url)
    if not store.revoke_client(client_id):
        fail(f"no API client {client_id!r}")
    out.print(f"revoked {client_id}", highlight=False)


# ---- model shares --------------------------------------------------------------------------
@share_app.command("list")
def share_list(org: Annotated[str | None, typer.Option("--org", help="Only models owned by "
                                                       "this organisation.")] = None,
               database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """Models shared with other organisations."""
    store = _store(database_url)
    owner = _org(store, org).id if org is not None else None
    rows = [{**r, "created_at": _when(r["created_at"])}
            for r in store.list_shares(owner_org_id=owner)]
    _print(rows, ["model_id", "model", "owner", "organisation", "created_at"], "Shares",
           as_json)


@share_app.command("withdraw")
def share_withdraw(model_id: str,
                   org: Annotated[str, typer.Argument(help="The organisation it is shared "
                                                      "with.")],
                   database_url: DatabaseUrl = None) -> None:
    """Stop sharing a model with an organisation."""
    store = _store(database_url)
    if not store.withdraw_share(model_id, org):
        fail(f"model {model_id!r} is not shared with {org!r}")
    out.print(f"withdrew the share of {model_id} with {org!r}", highlight=False)


# ---- the ledger: webhook origins and the signing-key master key --------------------------
webhook_app = typer.Typer(no_args_is_help=True, help="Origins an organisation's trace "
                          "webhook may reach (scheme, host and port, matched exactly).")
admin_app.add_typer(webhook_app, name="webhook")


def _trace(database_url: str | None) -> Any:
    from junkan.store.trace_repo import TraceRepo  # the 'service' extra

    return TraceRepo(_store(database_url).db)


def _ledger_call(fn: Any, *args: Any) -> Any:
    from junkan.store.trace_repo import TraceError
    from junkan.trace import KeyStoreError

    try:
        return fn(*args)
    except (TraceError, KeyStoreError) as exc:
        fail(str(exc))


@webhook_app.command("allow")
def webhook_allow(org: Annotated[str, typer.Argument(help="Organisation name.")],
                  origin: Annotated[str, typer.Argument(help="https://host[:port]")],
                  database_url: DatabaseUrl = None) -> None:
    """Let an organisation's webhook reach ORIGIN. Refused, as by the admin API, when the
    host is or resolves to a loopback, private or other non-public address (numeric
    spellings like https://2130706433 included); a name that does not resolve yet is
    accepted and checked again at every delivery."""
    got = _ledger_call(_trace(database_url).allow_webhook_origin, org, origin)
    out.print(f"{org}: webhooks may reach {got}", highlight=False)


@webhook_app.command("list")
def webhook_list(org: Annotated[str, typer.Argument(help="Organisation name.")],
                 database_url: DatabaseUrl = None, as_json: AsJson = False) -> None:
    """The origins an organisation's webhook may reach."""
    origins = _ledger_call(_trace(database_url).webhook_origins, org)
    _print([{"origin": o} for o in origins], ["origin"], f"webhook origins of {org}", as_json)


@webhook_app.command("remove")
def webhook_remove(org: Annotated[str, typer.Argument(help="Organisation name.")],
                   origin: Annotated[str, typer.Argument(help="https://host[:port]")],
                   database_url: DatabaseUrl = None) -> None:
    """Withdraw an origin: deliveries to it stop at once."""
    if not _ledger_call(_trace(database_url).remove_webhook_origin, org, origin):
        fail(f"{origin} is not registered for {org}")
    out.print(f"{org}: webhooks no longer reach {origin}", highlight=False)


@admin_app.command("rotate-key")
def rotate_key(finish: Annotated[bool, typer.Option(
        "--finish", help="Drop the old master key once every signing key uses the new "
        "one.")] = False, database_url: DatabaseUrl = None) -> None:
    """Rotate the master key that encrypts the ledger's signing keys (docs/security.md, Key
    rotation procedure). Signatures and checkpoints stay valid."""
    trace = _trace(database_url)
    if finish:
        n = _ledger_call(trace.finish_rotation)
        out.print(f"dropped {n} old master key(s)", highlight=False)
        return
    res = _ledger_call(trace.rotate_configured_key)
    where = f" (key file {res['key_file']})" if res["key_file"] else ""
    out.print(f"re-encrypted {res['reencrypted']} signing key(s) under master key "
              f"{res['key_id']}{where}; check with 'junkan trace verify', then run "
              "'junkan admin rotate-key --finish'", highlight=False)
