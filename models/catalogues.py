"""Message catalogues: extract, update, check, compile (`make messages`, `make check-messages`).

    python -m models.catalogues update    # re-extract from the source, merge into every .po, compile
    python -m models.catalogues check     # list what a catalogue lacks, leaves untranslated or fuzzy
    python -m models.catalogues compile   # build the .mo files (also done at start-up when stale)
    python -m models.catalogues add LANG  # start a catalogue for a new language

Messages come from Python (`_`, `N_`, `gettext`, `ngettext`, `translate`, and `_`/`translate` with
three arguments for plurals) and from the Tornado templates (pages and mails), whose `{{ }}` and
`{% %}` code Babel's Python extractor reads through `extract_tornado` below.
"""
import datetime as dt
import io
import re
import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.pofile import read_po, write_po

from models.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, ROOT, SOURCE_LANGUAGE, compile_catalogues

KEYWORDS = {
    "_": {1: (1,), 3: (1, 2)},
    "translate": {1: (1,), 3: (1, 2)},
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
}
SOURCES = ("portal.py", "models", "handlers", "forms", "jobs", "templates")
_CODE = re.compile(r"\{\{!?(.*?)\}\}|\{%!?(.*?)%\}|\{#.*?#\}", re.S)


def extract_tornado(fileobj, keywords, comment_tags, options):
    """Babel extractor for Tornado templates: the code inside {{ }} and {% %} is read as Python
    (inside one bracket, so indentation and statements do not matter), the text around it is
    blanked with line breaks kept, so line numbers stay right."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    pieces, last = [], 0
    for match in _CODE.finditer(source):
        pieces.append(re.sub(r"[^\n]", " ", source[last:match.start()]))
        code = match.group(1) if match.group(1) is not None else match.group(2)
        if code is None:  # a {# comment #}
            pieces.append(re.sub(r"[^\n]", " ", match.group(0)))
        else:
            pieces.append("  " + code + "  ;")
        last = match.end()
    pieces.append(re.sub(r"[^\n]", " ", source[last:]))
    code = "(" + "".join(pieces) + "\n)"
    yield from extract_python(io.BytesIO(code.encode("utf-8")), keywords, comment_tags, options)


METHOD_MAP = [
    ("**.py", "python"),
    ("**.html", extract_tornado),
    ("**.txt", extract_tornado),
]


def extract():
    """The template catalogue: every message in the source (SOURCES, files and folders)."""
    from babel.messages.extract import extract as extract_file

    catalog = Catalog(project="petition-portal", domain=DOMAIN, fuzzy=False)
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            with path.open("rb") as handle:
                found = [(source, lineno, message, comments, context) for lineno, message, comments, context
                         in extract_file("python", handle, keywords=KEYWORDS, comment_tags=("Translators:",))]
        else:
            found = [(f"{source}/{filename}", lineno, message, comments, context)
                     for filename, lineno, message, comments, context in extract_from_dir(
                         str(path), METHOD_MAP, keywords=KEYWORDS, comment_tags=("Translators:",))]
        for filename, lineno, message, comments, context in found:
            catalog.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    _mark_formats(catalog)
    return catalog


def _mark_formats(catalog):
    """Flag messages with %(name)s placeholders as python-format, so the check compares them."""
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        if any(re.search(r"%\(\w+\)[sd]", text) for text in ids):
            message.flags.add("python-format")
        else:
            message.flags.discard("python-format")


def po_path(language):
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_languages():
    return sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read(language):
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def write(language, catalog):
    # fixed dates and header: re-extracting changes a catalogue only where its messages change
    catalog.creation_date = catalog.revision_date = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    catalog.project, catalog.version = "petition-portal", "1"
    catalog.copyright_holder = "the petition portal's contributors"
    catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = ""
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, ignore_obsolete=True, include_previous=False, sort_output=False)
    path.write_bytes(buffer.getvalue())


def update():
    """Re-extract and merge into every catalogue: new messages arrive untranslated, changed ones
    fuzzy (the check fails on both until a translator has done them), gone ones are dropped."""
    template = extract()
    for language in catalogue_languages():
        catalog = read(language)
        catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
        write(language, catalog)
    compile_catalogues(force=True)
    return template


def add(language):
    if po_path(language).exists():
        raise SystemExit(f"{po_path(language)} exists already")
    catalog = Catalog(locale=language, project="petition-portal", domain=DOMAIN, fuzzy=False)
    template = extract()
    catalog.update(template, no_fuzzy_matching=True)
    write(language, catalog)
    print(f"created {po_path(language).relative_to(ROOT)}; translate it, then add {language!r} to "
          f"LANGUAGES in models/i18n.py")


def problems(template=None):
    """{language: [problem, ...]}: missing, untranslated, fuzzy or ill-fitting messages."""
    template = template or extract()
    found = {}
    for language in sorted(set(LANGUAGES) - {SOURCE_LANGUAGE}):
        if not po_path(language).exists():
            found[language] = [f"no catalogue at {po_path(language).relative_to(ROOT)}"]
            continue
        catalog = read(language)
        issues = []
        for message in template:
            if not message.id:
                continue
            key = message.id if not isinstance(message.id, (list, tuple)) else message.id[0]
            entry = catalog.get(message.id, message.context)
            if entry is None:
                issues.append(f"missing: {key!r}")
                continue
            strings = entry.string if isinstance(entry.string, (list, tuple)) else (entry.string,)
            if not all(strings):
                issues.append(f"untranslated: {key!r}")
            elif entry.fuzzy:
                issues.append(f"fuzzy: {key!r}")
        for message, errors in catalog.check():
            for error in errors:
                issues.append(f"wrong placeholders in {message.id!r}: {error}")
        if issues:
            found[language] = issues
    return found


def main(argv):
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        template = update()
        print(f"{len(template)} messages extracted; catalogues updated: {', '.join(catalogue_languages())}")
        command = "check"
    if command == "compile":
        print("compiled:", ", ".join(compile_catalogues(force=True)) or "nothing")
        return 0
    if command == "add":
        add(argv[2])
        return 0
    if command == "check":
        found = problems()
        for language, issues in found.items():
            print(f"{language}: {len(issues)} to do")
            for issue in issues:
                print(f"  {issue}")
        if not found:
            print("every catalogue is complete")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
