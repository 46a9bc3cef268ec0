"""Reading the index report's HTML in tests: the text a reader sees in one language."""

from __future__ import annotations

import re

_OTHER = {"vi": "en", "en": "vi"}


def visible_text(fragment: str, lang: str = "vi") -> str:
    """`fragment` as text in `lang`: the other language's spans and all charts removed."""
    other = _OTHER[lang]
    text = re.sub(r"<svg\b.*?</svg>", " ", fragment, flags=re.S)
    text = re.sub(rf'<(span|div) data-l="{other}">.*?</\1>', "", text, flags=re.S)
    text = re.sub(r"</?(span|strong|small|em)\b[^>]*>", "", text)  # inline: no word break
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'")
    return " ".join(text.split())


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{re.escape(section_id)}".*?</section>', page, flags=re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def rows(fragment: str, attribute: str, key: str) -> list[str]:
    """The `<tr>` elements whose `attribute` equals `key`."""
    return re.findall(rf'<tr {attribute}="{re.escape(key)}".*?</tr>', fragment, flags=re.S)


def by_testid(page: str, name: str) -> str:
    """The inner HTML of the element with `data-testid=name` (nested same-name tags balanced)."""
    start = re.search(rf'<(\w+)[^>]* data-testid="{re.escape(name)}"[^>]*>', page)
    assert start, f"no element with data-testid={name}"
    tag, depth, position = start.group(1), 1, start.end()
    for tag_match in re.finditer(rf"<(/?){tag}\b[^>]*>", page[position:]):
        depth += -1 if tag_match.group(1) else 1
        if depth == 0:
            return page[position : position + tag_match.start()]
    raise AssertionError(f"element data-testid={name} is not closed")
