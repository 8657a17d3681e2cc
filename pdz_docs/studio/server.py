"""`pdz studio`: start the browser editor on a plan folder.

It listens on 127.0.0.1 by default, served by Werkzeug's threaded server, and opens the browser where
there is a display. On any other address it starts only when accounts exist (accounts.py), then every
page requires login; it is served by waitress, a production WSGI server.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import threading
import webbrowser
from pathlib import Path

from pdz_docs.faults import Failure


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(args) -> int:
    from pdz_docs.studio.app import Config, create_app

    plan = Path(args.piano)
    if not (plan / "piano.yaml").is_file():
        raise Failure(f"{plan} non è la cartella di un piano (manca piano.yaml)")
    accounts = None
    if not is_loopback(args.host):
        from pdz_docs.studio import accounts as acc

        accounts = acc.users_file()
        try:
            known = acc.ci_sono_utenti(accounts)
        except acc.ErroreUtenti as exc:
            raise Failure(str(exc)) from None
        if not known:
            raise Failure(f"per accettare collegamenti da altri computer (--host {args.host}) servono gli utenti: "
                          "crearli con «pdz studio utenti aggiungi NOME», poi rilanciare")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no English request log in the writer's terminal
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    # on loopback only the names of this computer are answered (a web page cannot rename itself to us)
    loopback_names = tuple(dict.fromkeys(f"{h}:{args.port}" for h in ("127.0.0.1", "localhost", shown_host)))
    app = create_app(Config(plan, accounts, loopback_names if accounts is None else ()))
    url = f"http://{shown_host}:{args.port}/"
    print(f"pdz studio: il piano {plan} è aperto su {url} (Ctrl-C per chiudere)", flush=True)
    if accounts is None:
        from werkzeug.serving import make_server

        server = make_server(args.host, args.port, app, threaded=True)
        if has_display() and not getattr(args, "no_browser", False):
            threading.Timer(0.5, webbrowser.open, (url,)).start()
        try:
            server.serve_forever()   # returns on Ctrl-C
        finally:
            server.server_close()
            app.extensions["pdz_studio"]["close"]()
        print("pdz studio: chiuso.")
        return 0
    import waitress

    try:
        waitress.serve(app, host=args.host, port=args.port, threads=4, ident="pdz-studio")
    finally:
        app.extensions["pdz_studio"]["close"]()
    return 0
