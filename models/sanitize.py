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
