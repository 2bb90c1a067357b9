"""Signals of the portal the higher apps listen to (they may not be imported
from here, STYLE.md "Apps point one way")."""

from django.dispatch import Signal

# Sent by `seed_demo` once the small demo is built, inside its transaction,
# with `today`: the apps above the portal add their own demo rows (analytics:
# the exchanges of rule 13).
demo_seeded = Signal()
