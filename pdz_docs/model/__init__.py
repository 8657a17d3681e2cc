"""The plan's data types: what a writer writes, validated and immutable.

Field names are the YAML keys (Italian, the domain's own words). Money fields are
`Decimal` read by `finance.money.parse_importo`; a YAML float is refused there.
"""

from pdz_docs.model.types import *  # noqa: F401,F403
from pdz_docs.model.plan import Capitolo, Path_, Plan, SchedaSrc, YamlDoc  # noqa: F401,E402
