"""The waste catalogue: categories with their codes and CO2e factors, the sources behind them, and the
processing routes of the waste hierarchy."""

from django.db import models
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels


class CatalogueSource(ChoiceLabels, models.Model):
    """Where a waste code or a CO2e factor comes from, with how far it has been checked."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    title = models.TextField(_("source"))
    status = models.TextField(_("verification status"), blank=True)

    class Meta:
        verbose_name = _("catalogue source")
        verbose_name_plural = _("catalogue sources")
        ordering = ["key"]

    def __str__(self):
        return self.key

    def get_absolute_url(self):
        return reverse("listings:catalogue") + f"#source-{self.key}"


class WasteCategory(ChoiceLabels, models.Model):
    class Group(models.TextChoices):
        METALS = "metals", _("Metals")
        SLAGS_AND_ASHES = "slags-and-ashes", _("Slags and ashes")
        OILS_AND_SOLVENTS = "oils-and-solvents", _("Oils and solvents")
        CHEMICALS = "chemicals", _("Chemicals")
        PLASTICS = "plastics", _("Plastics")
        PAPER = "paper", _("Paper")
        WOOD = "wood", _("Wood")
        CONSTRUCTION_MINERALS = "construction-minerals", _("Construction minerals")
        ELECTRONICS = "electronics", _("Electronics")
        ORGANICS = "organics", _("Organics")
        OTHER = "other", _("Other")

    class Hazard(models.TextChoices):
        YES = "yes", _("Hazardous (limbah B3)")
        NO = "no", _("Not hazardous")
        DEPENDS = "depends", _("Depends on origin or tests")

    class Unit(models.TextChoices):
        TONNE = "t", _("t")
        KILOGRAM = "kg", _("kg")
        LITRE = "L", _("L")
        CUBIC_METRE = "m3", _("m³")
        UNIT = "unit", pgettext_lazy("unit of measure", "unit")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    group = models.CharField(_("group"), max_length=30, choices=Group.choices)
    hazardous = models.CharField(_("hazardous"), max_length=10, choices=Hazard.choices)
    indonesian_code = models.CharField(
        _("Indonesian waste code"), max_length=10, blank=True, help_text=_("PP 22/2021 Appendix IX or XIV")
    )
    indonesian_code_source = models.ForeignKey(
        CatalogueSource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source of the code"),
    )
    usual_unit = models.CharField(_("usual unit"), max_length=5, choices=Unit.choices)
    co2e_t_per_t = models.DecimalField(
        _("CO2e avoided (t per t)"),
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Empty means no source found, never zero."),
    )
    co2e_route = models.TextField(_("what the factor compares"), blank=True)
    co2e_source = models.ForeignKey(
        CatalogueSource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source of the factor"),
    )
    is_active = models.BooleanField(_("offered in forms"), default=True)

    class Meta:
        verbose_name = _("waste category")
        verbose_name_plural = _("waste categories")
        ordering = ["group", "name_en"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return getattr(self, self.name_field())

    @staticmethod
    def name_field() -> str:
        """The name column in the language of the request: Indonesian unless English was chosen."""
        return "name_id" if (get_language() or "id").startswith("id") else "name_en"

    @property
    def is_hazardous(self) -> bool:
        return self.hazardous == self.Hazard.YES


class Route(models.TextChoices):
    """The waste hierarchy, best first (the order is the ranking on the bids page)."""

    REUSE = "reuse", _("Reuse")
    RECYCLING = "recycling", _("Recycling")
    MATERIAL_RECOVERY = "material-recovery", _("Recovery as material")
    ENERGY_RECOVERY = "energy-recovery", _("Energy recovery / co-processing in a cement kiln")
    TREATMENT = "treatment", _("Treatment")
    DISPOSAL = "disposal", _("Disposal")


ROUTE_RANK = {route: rank for rank, route in enumerate(Route.values)}
