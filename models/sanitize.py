"""Rich text is sanitised with an allow-list on the way in (nh3), so stored HTML is safe to show."""
import html
import re

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "h3", "h4", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def rich_text(value: str) -> str:
    return nh3.clean(value or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow").strip()


def plain_text(value: str) -> str:
    """The text of sanitised HTML, for mails, APIs and search snippets."""
    text = re.sub(r"<(br|/p|/li|/h[34]|/blockquote)\s*/?>", "\n", value or "")
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip()


_ADDRESS = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[^\s<>\"'(),;:@]+")


def without_addresses(text) -> str:
    """`text` with every email address replaced, for log lines (addresses are personal data)."""
    return _ADDRESS.sub("[address]", str(text))


def _markdown():
    from markdown_it import MarkdownIt

    # CommonMark; raw HTML passes through to nh3 (so older HTML and API clients' HTML keep working),
    # a single line break stays a line break (a clerk's plain paragraphs are never merged).
    return MarkdownIt("commonmark", {"html": True, "breaks": True, "linkify": False})


_MD = None


def from_markdown(text: str) -> str:
    """Markdown (or older HTML) as sanitised HTML: rendered by markdown-it-py, then cleaned by nh3."""
    global _MD
    if _MD is None:
        _MD = _markdown()
    return rich_text(_MD.render(text or ""))
# Line breaks and control characters in a one-line field (a title, a name, a reference) run into
# mail headers and bodies and break layouts: refused with a message. Includes the Unicode line and
# paragraph separators and NEL, which some mail clients and browsers also break lines on.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
SINGLE_LINE_MESSAGE = "Write this on one line: remove line breaks, tabs and other control characters."


def is_single_line(value) -> bool:
    return not isinstance(value, str) or not _NOT_ONE_LINE.search(value)


def check_single_line(errors: dict, **fields):
    """Add SINGLE_LINE_MESSAGE to `errors` for each of `fields` (name=value) that is not one line."""
    for name, value in fields.items():
        if not is_single_line(value) and name not in errors:
            errors[name] = SINGLE_LINE_MESSAGE
    return errors
