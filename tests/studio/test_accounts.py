"""Accounts of the browser editor: Argon2id hashes in a 0600 file outside the plan, roles, login
throttling, CSRF tokens, and `pdz studio utenti` in Italian."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from pdz_docs.studio import accounts
from pdz_docs.studio.accounts import Csrf, ErroreUtenti, Limitatore, Utente


@pytest.fixture
def users(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "studio-utenti.json"


def test_default_file_is_in_the_users_configuration(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert accounts.users_file() == tmp_path / "pdz-docs" / "studio-utenti.json"


def test_add_verify_roles_and_file_mode(users: Path):
    assert not accounts.ci_sono_utenti(users)
    accounts.aggiungi("maria.rossi", "una password lunga", "editor", users)
    accounts.aggiungi("Luca", "un'altra password", "lettore", users)
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    stored = json.loads(users.read_text(encoding="utf-8"))["utenti"]
    assert stored["maria.rossi"]["hash"].startswith("$argon2id$")
    assert "una password lunga" not in users.read_text(encoding="utf-8")
    assert accounts.verify("maria.rossi", "una password lunga", users) == Utente("maria.rossi", "editor")
    assert accounts.verify("MARIA.ROSSI", "una password lunga", users).editor
    assert not accounts.verify("luca", "un'altra password", users).editor
    assert accounts.verify("maria.rossi", "sbagliata", users) is None
    assert accounts.verify("nessuno", "una password lunga", users) is None
    assert [u.nome for u in accounts.elenco(users)] == ["Luca", "maria.rossi"]
    accounts.rimuovi("luca", users)
    assert accounts.verify("Luca", "un'altra password", users) is None
    assert stat.S_IMODE(users.stat().st_mode) == 0o600


def test_unknown_names_cost_as_much_as_wrong_passwords(users: Path, monkeypatch):
    accounts.aggiungi("maria", "una password lunga", "editor", users)
    checked = []
    real = accounts._HASHER

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            checked.append(stored)
            return real.verify(stored, password)
    monkeypatch.setattr(accounts, "_HASHER", Counting())
    assert accounts.verify("nessuno", "una password lunga", users) is None
    assert accounts.verify("maria", "sbagliata", users) is None
    # one Argon2id verification each time, against a real hash of the same cost: no early return
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)
    assert checked[0].split("$")[3] == checked[1].split("$")[3]      # same memory, time, lanes


def test_refusals_are_italian(users: Path):
    accounts.aggiungi("maria", "una password lunga", "editor", users)
    with pytest.raises(ErroreUtenti, match="esiste già"):
        accounts.aggiungi("Maria", "una password lunga", "editor", users)
    with pytest.raises(ErroreUtenti, match="troppo corta"):
        accounts.aggiungi("paolo", "corta", "editor", users)
    with pytest.raises(ErroreUtenti, match="nome utente non valido"):
        accounts.aggiungi("paolo rossi", "una password lunga", "editor", users)
    with pytest.raises(ErroreUtenti, match="ruolo non valido"):
        accounts.aggiungi("paolo", "una password lunga", "admin", users)
    with pytest.raises(ErroreUtenti, match="non esiste"):
        accounts.rimuovi("paolo", users)


@pytest.mark.parametrize("content, reason", [
    (b"{rotto", "non è JSON valido"),
    (b'{"altro": 1}', "manca l'elenco"),
    (b'{"utenti": {"maria": {"hash": "x", "ruolo": "capo"}}}', "non ha password o ruolo validi"),
])
def test_broken_users_file_is_told_without_traceback(users: Path, capsys, content: bytes, reason: str):
    users.parent.mkdir(parents=True)
    users.write_bytes(content)
    with pytest.raises(ErroreUtenti, match=reason):
        accounts.verify("maria", "qualsiasi", users)
    assert accounts.main_utenti(["--file", str(users), "elenco"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pdz studio utenti: errore: il file degli utenti") and reason in err
    assert "Traceback" not in err


def test_limitatore_backs_off_per_name_and_per_address():
    now = [1000.0]
    lim = Limitatore(soglia=5, base=1.0, massimo=60.0, dimentica=3600.0, clock=lambda: now[0])
    for _ in range(5):
        assert lim.prova("maria", "10.0.0.1") == 0          # let through, counted as failed
    assert lim.prova("maria", "10.0.0.1") == 1.0            # 5 failures: wait 1 s (a refused try is not counted)
    assert lim.attesa("MARIA", "10.0.0.2") == 1.0           # the name counts from any address
    assert lim.attesa("luca", "10.0.0.1") == 1.0            # and the address for any name
    assert lim.attesa("luca", "10.0.0.2") == 0
    now[0] += 1.0
    assert lim.prova("maria", "10.0.0.1") == 0
    assert lim.attesa("maria", "10.0.0.1") == 2.0           # doubled
    for _ in range(10):
        now[0] += lim.attesa("maria", "10.0.0.1")
        assert lim.prova("maria", "10.0.0.1") == 0
    assert lim.attesa("maria", "10.0.0.1") == 60.0          # capped
    assert lim.prova("maria", "10.0.0.9") == 60.0
    lim.riuscito("maria", "10.0.0.9")
    assert lim.attesa("maria", "10.0.0.9") == 0             # success clears the name
    assert lim.attesa("luca", "10.0.0.1") == 60.0           # not the address
    now[0] += 3600.0
    assert lim.attesa("luca", "10.0.0.1") == 0              # forgotten after an hour
    assert "riprovare tra 2 secondi" in accounts.messaggio_attesa(1.2)


def test_limitatore_takes_back_the_try_of_a_right_password():
    lim = Limitatore(soglia=2, base=1.0, clock=lambda: 0.0)
    for _ in range(5):   # people of one office logging in from one address are never slowed down
        assert lim.prova("maria", "10.0.0.1") == 0
        lim.riuscito("maria", "10.0.0.1")
    assert lim.prova("luca", "10.0.0.1") == 0
    assert lim.prova("luca", "10.0.0.1") == 0
    assert lim.attesa("anna", "10.0.0.1") == 1.0            # two failures from the address


def test_csrf_tokens_are_bound_to_the_session_and_the_server():
    csrf = Csrf()
    token = csrf.make("sessione-1")
    assert csrf.check("sessione-1", token)
    assert not csrf.check("sessione-2", token)
    assert not csrf.check("sessione-1", None) and not csrf.check("sessione-1", "")
    assert not csrf.check("sessione-1", token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not Csrf().check("sessione-1", token)            # another server's secret
    assert csrf.make("sessione-1") != token


def test_cli_add_list_password_remove(users: Path, monkeypatch, capsys):
    answers = iter(["una password lunga", "una password lunga"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert accounts.main_utenti(["--file", str(users), "aggiungi", "maria", "--ruolo", "lettore"]) == 0
    assert "Aggiunto l'utente «maria» (lettore)" in capsys.readouterr().out
    assert accounts.verify("maria", "una password lunga", users) == Utente("maria", "lettore")
    assert accounts.main_utenti(["--file", str(users), "elenco"]) == 0
    assert capsys.readouterr().out == "maria\tlettore\n"

    answers = iter(["nuova password", "diversa password"])
    assert accounts.main_utenti(["--file", str(users), "password", "maria"]) == 1
    assert "le due password non coincidono" in capsys.readouterr().err
    answers = iter(["nuova password", "nuova password"])
    assert accounts.main_utenti(["--file", str(users), "password", "maria"]) == 0
    assert accounts.verify("maria", "nuova password", users)

    assert accounts.main_utenti(["--file", str(users), "aggiungi", "maria"]) == 1   # asked no password
    assert "esiste già" in capsys.readouterr().err
    assert accounts.main_utenti(["--file", str(users), "rimuovi", "maria"]) == 0
    assert accounts.main_utenti(["--file", str(users), "elenco"]) == 0
    assert "Nessun utente" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        accounts.main_utenti(["--file", str(users), "aggiungi", "x", "--ruolo", "capo"])
    assert exc.value.code == 2
    assert "valore non ammesso «capo»" in capsys.readouterr().err
