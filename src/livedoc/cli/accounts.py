"""`livedoc user ...` (on the server's machine) and `livedoc login` (on a script's machine).

livedoc user add ada                    # asks for a password (or --password-stdin)
livedoc user key ada --label laptop     # prints a new API key, once
livedoc user revoke <key, key id or share token>
livedoc user list
livedoc login http://server:5006 --user ada   # stores an API key in ~/.livedoc/
"""

from __future__ import annotations

import base64
import getpass
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import argparse

__all__ = ["add_parsers"]


def add_parsers(subparsers: Any) -> None:
    user = subparsers.add_parser(
        "user", help="manage the users and API keys of a --multi-user server"
    )
    user.add_argument(
        "--users",
        default="default",
        help="the user store (as `livedoc serve --users`; default: users.db in the data"
        " directory, $LIVEDOC_DATA_DIR or ~/.local/share/livedoc)",
    )
    actions = user.add_subparsers(title="actions", metavar="ACTION")
    add = actions.add_parser("add", help="add a user (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(command=_add)
    key = actions.add_parser("key", help="make a new API key for a user and print it")
    key.add_argument("name")
    key.add_argument("--label", default="", help="what the key is for")
    key.set_defaults(command=_key)
    revoke = actions.add_parser(
        "revoke", help="revoke an API key (the key or its id) or a share link (its ?share= token)"
    )
    revoke.add_argument("key")
    revoke.set_defaults(command=_revoke)
    listing = actions.add_parser("list", help="list users and their keys")
    listing.set_defaults(command=_list)

    login = subparsers.add_parser(
        "login", help="get an API key from a --multi-user server and store it in ~/.livedoc/"
    )
    login.add_argument("url", help="the server, e.g. http://127.0.0.1:5006")
    login.add_argument("--user", required=True)
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.set_defaults(command=_login)


def _store(args: argparse.Namespace) -> Any:
    from livedoc.auth import UserStore
    from livedoc.server.settings import users_url

    return UserStore.from_url(users_url(args.users))


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("password: ")


def _add(args: argparse.Namespace, out: TextIO) -> int:
    from livedoc.auth import AuthError

    store = _store(args)
    try:
        store.add_user(args.name, _password(args))
    except AuthError as exc:
        print(f"livedoc user add: {exc}", file=sys.stderr)
        return 2
    print(f"added user {args.name} ({store.path})", file=out)
    return 0


def _key(args: argparse.Namespace, out: TextIO) -> int:
    from livedoc.auth import AuthError

    try:
        key = _store(args).create_api_key(args.name, args.label)
    except AuthError as exc:
        print(f"livedoc user key: {exc}", file=sys.stderr)
        return 2
    print(key, file=out)
    return 0


def _revoke(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    if not (store.revoke_api_key(args.key) or store.revoke_share_token(args.key)):
        print(
            "livedoc user revoke: no such key or share token, or revoked already", file=sys.stderr
        )
        return 2
    print("revoked", file=out)
    return 0


def _list(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    for name in store.users():
        keys = store.api_keys(name)
        live = [k.id for k in keys if k.revoked is None]
        print(f"{name}: {len(live)} API keys ({', '.join(live) or 'none'})", file=out)
    return 0


def _login(args: argparse.Namespace, out: TextIO) -> int:
    from livedoc.client.credentials import save_api_key, server_base
    from livedoc.client.rest import RequestRefused, post_json
    from livedoc.errors import ServerUnreachable

    base = server_base(args.url)
    basic = base64.b64encode(f"{args.user}:{_password(args)}".encode()).decode()
    try:
        answer = post_json(
            f"{args.url.rstrip('/')}/api/keys", headers={"Authorization": f"Basic {basic}"}
        )
    except RequestRefused as exc:
        print(f"livedoc login: {base} answered {exc.status}: {exc.reason}", file=sys.stderr)
        return 2
    except ServerUnreachable as exc:
        print(f"livedoc login: {exc}", file=sys.stderr)
        return 2
    key = answer["key"]
    path = save_api_key(base, key)
    print(f"logged in to {base} as {args.user}; the API key is in {path}", file=out)
    return 0
