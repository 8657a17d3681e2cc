"""Who may use the browser editor over the office network: accounts, login throttling, CSRF tokens.

The accounts live in a file outside the plan (a plan is shared and versioned; passwords are not):
`$XDG_CONFIG_HOME/pdz-docs/studio-utenti.json` (`~/.config/…` without the variable), or a path given.
It is JSON, `{"utenti": {NOME: {"hash": "$argon2id$…", "ruolo": "editor"}}}`, replaced atomically and
readable by its owner only (0600). Passwords are kept as Argon2id hashes (argon2-cffi, RFC 9106
parameters). A login for a name that does not exist costs the same as a wrong password, so the time
of the answer does not tell which names exist.

`Limitatore` slows down guessing: after a few failed logins for a name, or from an address, each
further try waits twice as long as the one before, however many tries are sent at the same time. `Csrf` makes and checks the tokens every form
that changes something carries, bound to the session they were made for.

`main_utenti` is `pdz studio utenti aggiungi|password|rimuovi|elenco`.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import tempfile
import threading
import time
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pdz_docs.faults import describe, shown

RUOLI = ("editor", "lettore")
MIN_PASSWORD = 8
_NAME = re.compile(r"[\w.@-]{1,64}")
_HASHER = PasswordHasher()   # stateless: argon2-cffi's recommended Argon2id parameters


class ErroreUtenti(Exception):
    """The users file or a command on it cannot be used; the message is Italian."""


@dataclass(frozen=True)
class Utente:
    nome: str
    ruolo: str           # "editor" (reads and changes the plan) or "lettore" (reads only)

    @property
    def editor(self) -> bool:
        return self.ruolo == "editor"


def users_file(path: Path | None = None) -> Path:
    """The users file: `path` when given, else the one in the user's configuration folder."""
    if path is not None:
        return Path(path)
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "pdz-docs" / "studio-utenti.json"


def _key(nome: str) -> str:
    """Names are matched as a person reads them: «Maria.Rossi» and «maria.rossi» are one account."""
    return unicodedata.normalize("NFC", nome).casefold()


def _read(path: Path) -> dict[str, dict]:
    """The accounts, by name; {} when the file does not exist yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ErroreUtenti(describe(exc, path)) from None
    broken = (f"il file degli utenti {shown(path)} è danneggiato ({{}}): correggerlo, oppure rinominarlo "
              "e aggiungere di nuovo gli utenti con «pdz studio utenti aggiungi»")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ErroreUtenti(broken.format("non è JSON valido")) from None
    users = data.get("utenti") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise ErroreUtenti(broken.format("manca l'elenco «utenti»"))
    for nome, account in users.items():
        if not (isinstance(account, dict) and isinstance(account.get("hash"), str)
                and account.get("ruolo") in RUOLI):
            raise ErroreUtenti(broken.format(f"l'utente «{nome}» non ha password o ruolo validi"))
    return users


def _write(path: Path, users: dict[str, dict]) -> None:
    """Replace the users file atomically; the new file is 0600 from its first byte."""
    data = json.dumps({"utenti": dict(sorted(users.items()))}, ensure_ascii=False, indent=2) + "\n"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)   # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ErroreUtenti(describe(exc, path)) from None


def _find(users: dict[str, dict], nome: str) -> str | None:
    return next((n for n in users if _key(n) == _key(nome)), None)


def elenco(path: Path | None = None) -> list[Utente]:
    return [Utente(n, a["ruolo"]) for n, a in sorted(_read(users_file(path)).items())]


def ci_sono_utenti(path: Path | None = None) -> bool:
    """Whether any account exists: the editor may listen beyond this computer only then."""
    return bool(_read(users_file(path)))


@functools.cache
def _decoy() -> str:
    """A hash to check unknown names against, so that they take as long as known ones."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify(nome: str, password: str, path: Path | None = None) -> Utente | None:
    """The account `nome` when `password` is its password, else None (same cost either way).
    The file is read at each call, so accounts added meanwhile count; ErroreUtenti when it is broken."""
    users = _read(users_file(path))
    found = _find(users, nome)
    stored = users[found]["hash"] if found else _decoy()
    try:
        ok = _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    return Utente(found, users[found]["ruolo"]) if ok and found else None


def _check_name(nome: str) -> str:
    nome = unicodedata.normalize("NFC", nome.strip())
    if not _NAME.fullmatch(nome):
        raise ErroreUtenti(f"nome utente non valido «{nome}»: usare da 1 a 64 lettere, cifre, punti, "
                           "trattini o @, senza spazi")
    return nome


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ErroreUtenti(f"la password è troppo corta: servono almeno {MIN_PASSWORD} caratteri")


def _exists(nome: str) -> str:
    return f"l'utente «{nome}» esiste già: per cambiarne la password usare «pdz studio utenti password {nome}»"


def aggiungi(nome: str, password: str, ruolo: str = "editor", path: Path | None = None) -> Utente:
    nome = _check_name(nome)
    if ruolo not in RUOLI:
        raise ErroreUtenti(f"ruolo non valido «{ruolo}»: scrivere «editor» o «lettore»")
    _check_password(password)
    path = users_file(path)
    users = _read(path)
    if _find(users, nome):
        raise ErroreUtenti(_exists(_find(users, nome)))
    users[nome] = {"hash": _HASHER.hash(password), "ruolo": ruolo}
    _write(path, users)
    return Utente(nome, ruolo)


def cambia_password(nome: str, password: str, path: Path | None = None) -> None:
    _check_password(password)
    path = users_file(path)
    users = _read(path)
    found = _find(users, nome)
    if not found:
        raise ErroreUtenti(f"l'utente «{nome}» non esiste")
    users[found]["hash"] = _HASHER.hash(password)
    _write(path, users)


def rimuovi(nome: str, path: Path | None = None) -> None:
    path = users_file(path)
    users = _read(path)
    found = _find(users, nome)
    if not found:
        raise ErroreUtenti(f"l'utente «{nome}» non esiste")
    del users[found]
    _write(path, users)


# --- login throttling -------------------------------------------------------------------------

class Limitatore:
    """Failed logins counted per name and per address: after `soglia` failures each further try must
    wait `base`·2^(failures − soglia) seconds (at most `massimo`) from the last failure. Failures are
    forgotten after `dimentica` seconds without any; a successful login clears its name's count.

    A try is counted as failed when it starts (`prova`), in the same locked step that lets it through,
    and taken back when the password was right (`riuscito`): tries sent at the same time cannot all
    pass the check before the first of them is counted."""

    def __init__(self, soglia: int = 5, base: float = 1.0, massimo: float = 900.0, dimentica: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.soglia, self.base, self.massimo, self.dimentica, self.clock = soglia, base, massimo, dimentica, clock
        self._failures: dict[str, tuple[int, float]] = {}   # key → (count, time of the last failure)
        self._lock = threading.Lock()

    def _keys(self, nome: str, indirizzo: str) -> tuple[str, str]:
        return "nome:" + _key(nome), "indirizzo:" + indirizzo

    def _wait(self, key: str, now: float) -> float:
        count, last = self._failures.get(key, (0, now))
        if count < self.soglia or now - last >= self.dimentica:
            return 0.0
        delay = min(self.massimo, self.base * 2 ** (count - self.soglia))
        return max(0.0, last + delay - now)

    def attesa(self, nome: str, indirizzo: str) -> float:
        """Seconds to wait before a login for `nome` from `indirizzo` may be tried; 0 when it may be."""
        with self._lock:
            now = self.clock()
            return max(self._wait(k, now) for k in self._keys(nome, indirizzo))

    def prova(self, nome: str, indirizzo: str) -> float:
        """Start a login try: the seconds still to wait (the try is refused and not counted), or 0 when
        it may go on, and then it is already counted as failed."""
        with self._lock:
            now = self.clock()
            keys = self._keys(nome, indirizzo)
            wait = max(self._wait(k, now) for k in keys)
            if wait > 0:
                return wait
            if len(self._failures) > 10_000:   # memory stays bounded whatever is tried
                self._failures = {k: v for k, v in self._failures.items() if now - v[1] < self.dimentica}
            for key in keys:
                count, last = self._failures.get(key, (0, now))
                self._failures[key] = (1 if now - last >= self.dimentica else count + 1, now)
            return 0.0

    def riuscito(self, nome: str, indirizzo: str) -> None:
        """The try started by `prova` had the right password: the name's count is cleared, the address's
        try taken back."""
        name, address = self._keys(nome, indirizzo)
        with self._lock:
            self._failures.pop(name, None)
            count, last = self._failures.get(address, (0, 0.0))
            if count > 1:
                self._failures[address] = (count - 1, last)
            else:
                self._failures.pop(address, None)


def messaggio_attesa(secondi: float) -> str:
    n = max(1, int(secondi + 0.999))
    tra = f"{n} secondi" if n < 120 else f"{(n + 59) // 60} minuti"
    return f"Troppi tentativi di accesso non riusciti: riprovare tra {tra}."


# --- CSRF tokens ---------------------------------------------------------------------------------

class Csrf:
    """Tokens for the forms that change something: a random part and its HMAC with a secret that this
    server drew at start (`secrets`), bound to the session they were made for."""

    def __init__(self, secret: bytes | None = None):
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, sessione: str, nonce: str) -> str:
        return hmac.new(self._secret, f"{sessione}\0{nonce}".encode(), hashlib.sha256).hexdigest()

    def make(self, sessione: str) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._mac(sessione, nonce)}"

    def check(self, sessione: str, token: str | None) -> bool:
        nonce, _, mac = (token or "").partition(".")
        return bool(nonce and mac) and hmac.compare_digest(mac, self._mac(sessione, nonce))


# --- pdz studio utenti -----------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    from pdz_docs import argparse_it
    from pdz_docs.argparse_it import Parser as _Parser

    argparse_it.install()
    p = _Parser(prog="pdz studio utenti", description="Gestisce gli utenti che accedono al piano dal browser "
                "attraverso la rete dell'ufficio.")
    p.add_argument("--file", type=Path, default=None, metavar="FILE",
                   help="file degli utenti (predefinito: ~/.config/pdz-docs/studio-utenti.json)")
    sub = p.add_subparsers(dest="azione", metavar="AZIONE", required=True, parser_class=_Parser)
    a = sub.add_parser("aggiungi", help="aggiunge un utente (la password viene chiesta due volte)")
    a.add_argument("nome", metavar="NOME", help="il nome con cui l'utente accede")
    a.add_argument("--ruolo", choices=RUOLI, default="editor",
                   help="editor: legge e modifica il piano; lettore: lo legge soltanto (predefinito: editor)")
    c = sub.add_parser("password", help="cambia la password di un utente")
    c.add_argument("nome", metavar="NOME", help="il nome con cui l'utente accede")
    r = sub.add_parser("rimuovi", help="rimuove un utente")
    r.add_argument("nome", metavar="NOME", help="il nome con cui l'utente accede")
    sub.add_parser("elenco", help="elenca gli utenti e il loro ruolo")
    return p


def _ask_password(nome: str) -> str:
    with warnings.catch_warnings():   # getpass warns in English when it cannot hide the typing
        warnings.simplefilter("ignore")
        first = getpass.getpass(f"Password per {nome}: ")
        second = getpass.getpass("Ripetere la password: ")
    if first != second:
        raise ErroreUtenti("le due password non coincidono: l'utente non è stato modificato")
    _check_password(first)
    return first


def main_utenti(argv: list[str]) -> int:
    """`pdz studio utenti …`: 0 done, 1 refused (message on stderr), 2 wrong command line."""
    args = _parser().parse_args(argv)
    path = users_file(args.file)
    try:
        if args.azione == "elenco":
            users = elenco(path)
            if not users:
                print(f"Nessun utente in {shown(path)}: aggiungerne con «pdz studio utenti aggiungi NOME».")
            for u in users:
                print(f"{u.nome}\t{u.ruolo}")
        elif args.azione == "aggiungi":
            nome = _check_name(args.nome)
            if _find(_read(path), nome):   # told before the password is asked
                raise ErroreUtenti(_exists(_find(_read(path), nome)))
            utente = aggiungi(nome, _ask_password(nome), args.ruolo, path)
            print(f"Aggiunto l'utente «{utente.nome}» ({utente.ruolo}) in {shown(path)}.")
        elif args.azione == "password":
            nome = args.nome
            if not _find(_read(path), nome):
                raise ErroreUtenti(f"l'utente «{nome}» non esiste")
            cambia_password(nome, _ask_password(nome), path)
            print(f"Password di «{nome}» cambiata.")
        else:
            rimuovi(args.nome, path)
            print(f"Rimosso l'utente «{args.nome}».")
    except ErroreUtenti as exc:
        print(f"pdz studio utenti: errore: {exc}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\npdz studio utenti: interrotto, nessuna modifica", file=sys.stderr)
        return 1
    return 0
