"""A Word document's styles, each looked up once, and what they make of a run of text: its style's name (for bold
and italic styles) and whether Word shows it at all.

Hidden text (``w:vanish``, Home > Font > Hidden) and web-hidden text (``w:webHidden``) are not shown: Word neither
displays nor prints them unless a reader asks it to. A run is hidden when its own formatting says so, else its
character style (or the style that one is based on, and so on up), else its paragraph's style, else the
document's default run formatting: the order in which Word applies them. (Word treats hidden as a "toggle"
property, so a hidden character style in a hidden paragraph style shows its text again; that rare case is read as
hidden: text is left out, with a warning, rather than published unseen.)
"""

from __future__ import annotations

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HIDING = ("hidden", "web_hidden")  # python-docx's names for w:vanish and w:webHidden


class Styles:
    """The document's styles, each looked up once: python-docx searches every style for each run's and paragraph's
    style (a document of 20,000 runs took minutes to read)."""

    def __init__(self, document):
        from docx.enum.style import WD_STYLE_TYPE

        self._kinds = (WD_STYLE_TYPE.CHARACTER, WD_STYLE_TYPE.PARAGRAPH)
        self._by_id = {style.style_id: style for style in document.styles}
        self._default = {kind: document.styles.default(kind) for kind in self._kinds}
        self._says: dict[tuple, bool | None] = {}
        self._document_says = _default_hidden(document)

    def _style(self, style_id: str | None, kind):
        """The style of that id and kind, else the kind's default (as python-docx's ``get_style``)."""
        style = self._by_id.get(style_id) if style_id else None
        return style if style is not None and style.type == kind else self._default[kind]

    def of_run(self, run):
        return self._style(run._r.style, self._kinds[0])

    def of_paragraph(self, paragraph):
        return self._style(paragraph._p.style, self._kinds[1])

    def says(self, style, attribute: str) -> bool | None:
        """A font property as a style sets it, or the style it is based on, and so on up; None when none does."""
        key = (style.style_id if style is not None else None, attribute)
        if key not in self._says:
            value, ancestor = None, style
            while ancestor is not None and value is None:
                value, ancestor = getattr(ancestor.font, attribute), ancestor.base_style
            self._says[key] = value
        return self._says[key]

    def hidden(self, run, run_style, paragraph_style) -> bool:
        """Whether Word hides the run (see the module's note for the order of what decides)."""
        for attribute in HIDING:
            for value in (getattr(run.font, attribute), self.says(run_style, attribute),
                          self.says(paragraph_style, attribute), self._document_says[attribute]):
                if value is not None:
                    if value:
                        return True
                    break
        return False


def name(style) -> str:
    return style.name if style is not None else ""


def _default_hidden(document) -> dict[str, bool | None]:
    """Hidden or web-hidden for the whole document (its default run formatting), None where not set."""
    element = document.styles.element.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr")
    values: dict[str, bool | None] = {}
    for attribute, tag in zip(HIDING, ("vanish", "webHidden")):
        node = element.find(f"{_W}{tag}") if element is not None else None
        values[attribute] = None if node is None else node.get(f"{_W}val", "true") not in ("false", "0", "off")
    return values
