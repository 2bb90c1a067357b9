"""The lookup sources whose scope postings decide: cadres (through their
postings) and postings. Registered in cadres.lookups by PostingsConfig.ready."""

from cadres.lookups import Source, register
from cadres.models import Cadre

from .models import NOT_BEGUN, Posting, cadres_visible_to


def cadre_label(cadre: Cadre) -> str:
    reserve = "，后备" if cadre.is_reserve else ""
    return f"{cadre.name}（{cadre.unit.name}，{cadre.get_rank_display()}{reserve}）"


def posting_label(posting: Posting) -> str:
    unit = posting.receiving_unit.name
    return f"{posting.cadre.name} · {unit} {posting.title}（{posting.start_date}）"


SOURCES = {
    "cadres": Source(
        lambda user: cadres_visible_to(user),
        cadre_label,
        ("unit",),
        ("name", "pk"),
    ),
    "reserve_cadres": Source(
        lambda user: cadres_visible_to(user).filter(is_reserve=True),
        cadre_label,
        ("unit",),
        ("name", "pk"),
    ),
    # relay predecessors: postings the user sees that have begun
    "postings": Source(
        lambda user: Posting.objects.visible_to(user).exclude(status__in=NOT_BEGUN),
        posting_label,
        ("cadre", "receiving_unit"),
        ("cadre__name", "-start_date", "pk"),
        name="cadre__name",
    ),
}


def register_all() -> None:
    for name, source in SOURCES.items():
        register(name, source)
