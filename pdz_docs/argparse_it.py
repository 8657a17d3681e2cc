"""The command line's own texts in Italian: argparse's usage, help headings and usage errors.

argparse passes every text it prints through gettext (`argparse._` and `argparse.ngettext`,
looked up when the text is printed). Gettext would pick a catalogue from the user's locale;
the command line speaks Italian whatever the locale, so `install()` points those two names
at the table below instead. The keys are argparse's message templates exactly as written in
its source (Python 3.11–3.13); a template the table does not know (a newer Python) prints a
generic Italian text rather than English.
"""

from __future__ import annotations

import argparse
import sys

TEXTS = {
    # help and usage
    "usage: ": "uso: ",
    "positional arguments": "argomenti",
    "options": "opzioni",
    "subcommands": "comandi",
    "show this help message and exit": "mostra questo aiuto ed esce",
    "show program's version number and exit": "mostra la versione del programma ed esce",
    " (default: %(default)s)": " (predefinito: %(default)s)",
    "%(heading)s:": "%(heading)s:",
    # usage errors
    "%(prog)s: error: %(message)s\n": "%(prog)s: errore: %(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s: avviso: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "the following arguments are required: %s": "manca un argomento obbligatorio: %s",
    "one of the arguments %s is required": "serve uno di questi argomenti: %s",
    "unrecognized arguments: %s": "argomenti non riconosciuti: %s",
    "unexpected option string: %s": "opzione inattesa: %s",
    "ambiguous option: %(option)s could match %(matches)s": "opzione ambigua: %(option)s può essere %(matches)s",
    "not allowed with argument %s": "non si può usare insieme a %s",
    "ignored explicit argument %r": "questa opzione non ammette un valore (trovato «%s»)",
    "expected one argument": "manca il valore",
    "expected at most one argument": "ammette al massimo un valore",
    "expected at least one argument": "manca il valore",
    "invalid %(type)s value: %(value)r": "valore non valido «%(value)s»",
    "invalid choice: %(value)r (choose from %(choices)s)": "valore non ammesso «%(value)s» (ammessi: %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "comando sconosciuto «%(parser_name)s» (comandi: %(choices)s)",
    "can't open '%(filename)s': %(error)s": "impossibile aprire «%(filename)s»",
    "argument '%(argument_name)s' is deprecated": "l'argomento «%(argument_name)s» è deprecato",
    "option '%(option)s' is deprecated": "l'opzione «%(option)s» è deprecata",
    "command '%(parser_name)s' is deprecated": "il comando «%(parser_name)s» è deprecato",
}
PLURALS = {
    ("expected %s argument", "expected %s arguments"): ("richiede %s valore", "richiede %s valori"),
}


class _Unknown(str):
    """A text argparse may fill in with `%`: it stays the same generic Italian sentence."""

    def __mod__(self, values: object) -> str:
        return str(self)


UNKNOWN = _Unknown("argomenti non validi (vedere «pdz --help»)")


def gettext(message: str) -> str:
    return TEXTS.get(message, UNKNOWN)


def ngettext(singular: str, plural: str, n: int) -> str:
    forms = PLURALS.get((singular, plural))
    if forms is None:
        return UNKNOWN
    return forms[0] if n == 1 else forms[1]


def install() -> None:
    """argparse, in this process, prints the Italian texts (no other module uses argparse)."""
    argparse._ = gettext
    argparse.ngettext = ngettext


class Parser(argparse.ArgumentParser):
    """The parser of every `pdz` command: a usage error is told in Italian and exits with code 2."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        print(f"pdz: errore: {message}", file=sys.stderr)
        sys.exit(2)
