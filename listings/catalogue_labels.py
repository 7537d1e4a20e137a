"""Readable, translated words for the catalogue's seed data (listings/data/), which is kept in English.

The CSV files stay the record (their texts are what the sources say); pages show these names instead of the
sources' keys, and the routes and verification notes in the reader's language. A text staff add in the admin
that is not listed here is shown as it was written.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# A short name for each source, shown where a code or factor cites it (never the raw key).
SOURCE_NAMES = {
    "klhk-faba-2021": _("KLHK slides on fly ash and bottom ash (FABA), 2021"),
    "voi-2021": _("VOI news, March 2021"),
    "iisia-pp22": _("IISIA on steel industry waste under PP 22/2021"),
    "b3-dcodes-secondhand": _("B3 waste applications (second-hand)"),
    "defra-2025": _("UK DEFRA conversion factors 2025"),
    "worldsteel-scrap": _("worldsteel, raw materials (scrap)"),
    "gnr-2011-news": _("WBCSD CSI cement figures 2011 (trade press)"),
}

# The CO2e routes and the sources' verification notes as the seed data writes them: marked for translation
# here so that `{% translate %}` finds them in the catalogue.
DATA_TEXTS = [
    gettext_noop("clinker substitution in cement, 1 t replaces 1 t clinker (upper bound, derived)"),
    gettext_noop("closed-loop recycling vs landfill (DEFRA HDPE)"),
    gettext_noop("closed-loop recycling vs landfill (DEFRA PP)"),
    gettext_noop("closed-loop recycling vs landfill (DEFRA aluminium cans and foil)"),
    gettext_noop("closed-loop recycling vs landfill (DEFRA average plastic film)"),
    gettext_noop("closed-loop recycling vs landfill (DEFRA board)"),
    gettext_noop("closed-loop recycling vs landfill (DEFRA glass)"),
    gettext_noop("composting or anaerobic digestion vs landfill (DEFRA food and drink)"),
    gettext_noop("re-refining to base oil vs primary mineral oil (material credit only)"),
    gettext_noop("re-use vs landfill (DEFRA wood)"),
    gettext_noop("scrap melted in steelmaking instead of primary iron units"),
    gettext_noop("use as aggregate/road base instead of virgin aggregate, vs landfill (DEFRA aggregates proxy)"),
    gettext_noop(
        "Regulator's own slides, read on third-party hosts; consistent with VOI news. Not checked against the "
        "annex text of PP 22/2021."
    ),
    gettext_noop("Second-hand (news). Corroboration only."),
    gettext_noop("Unverified (industry association, second-hand)."),
    gettext_noop("Unverified: no citable address. To be checked against PP 22/2021 Appendix IX Table 1."),
    gettext_noop(
        "Unverified against the gov.uk file; UK supply chains and landfill, indicative for Cilegon, not local."
    ),
    gettext_noop("Primary page; the ratio is our arithmetic."),
    gettext_noop(
        "Unverified (trade press, 2011 data). An upper bound: assumes 1 t of slag or ash replaces 1 t of clinker."
    ),
]


def source_name(source) -> str:
    """The source's readable name in the active language (its key only for a source added later)."""
    if source is None:
        return ""
    return str(SOURCE_NAMES.get(source.key, source.key))
