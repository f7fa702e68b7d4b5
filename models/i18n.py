"""Translation markers shared by every module (the catalogues and locale choice build on this).

- Templates: `{{ _("Text") }}`; plurals `{{ _("%(count)s petition", "%(count)s petitions", n) % {"count": n} }}`.
- Handlers: `self.locale.translate("Text")`.
- Module-level text shown later (form labels, domain messages): `N_("Text")` marks it for
  extraction; the page or mail that shows it translates it.
"""


def N_(message):
    """Mark a message for extraction without translating it here."""
    return message
