"""HTML main text on realistic layouts: the release of test_read_formats inside the
chrome of a WordPress post, a Drupal node, a gob.mx press page and a state portal
with sidebars (the last three without <article>; the portal without <main> or any
known content class either).

Every body paragraph must come out exactly, no chrome may reach a paragraph, and
all chrome must be reported: in read_release's warnings (dropped by the reader)
or in segment's dropped list (lines such as "Foto: ..." inside the text).

Run ``python tests/test_read_html.py`` to compare with trafilatura and
readability-lxml when they are installed (the numbers in read.py's docstring).
"""

from __future__ import annotations

import html
import time
from pathlib import Path

import pytest
from test_read_formats import (  # pytest puts tests/ on sys.path (and so does running this file)
    BODY1,
    BULLETS,
    CLOSING,
    EXPECTED,
    LEAD,
    LIST_INTRO,
    LONG,
    QUOTE,
    TABLE,
    TABLE_INTRO,
    TITLE,
)

from bulletin_clf.read import read_release
from bulletin_clf.segment import segment

e = html.escape

MENU = (
    '<ul class="menu"><li><a href="/">Inicio</a></li><li><a href="/gob">Gobierno</a></li>'
    '<li><a href="/tr">Transparencia</a></li><li><a href="/sala">Sala de prensa</a></li></ul>'
)
SHARE = (
    '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Compartir:</h3><ul>'
    '<li><a href="#">Facebook</a></li><li><a href="#">X</a></li><li><a href="#">WhatsApp</a></li></ul></div>'
)
RELATED_LINKS = (
    "<ul><li><a href='/a'>IMSS abre convocatoria para médicos residentes en Oaxaca</a></li>"
    "<li><a href='/b'>Inauguran hospital de la mujer en Juchitán</a></li></ul>"
)


def _body(*, table_class: str = "tabla") -> list[str]:
    parts = [f"<p>{e(t)}</p>" for t in [LEAD, BODY1]]
    parts.append(
        '<figure class="wp-block-image"><img src="foto.jpg" alt="Reunión de trabajo">'
        "<figcaption>Foto: IMSS-Bienestar</figcaption></figure>"
    )
    parts.append(f"<p>{e(LONG)}</p>")
    parts.append("<p><strong>Lee también:</strong> <a href='/x'>IMSS abre convocatoria para médicos</a></p>")
    parts += [f"<p>{e(t)}</p>" for t in [QUOTE, LIST_INTRO]]
    parts.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in BULLETS) + "</ul>")
    parts.append(f"<p>{e(TABLE_INTRO)}</p>")
    rows = "".join(
        "<tr>" + "".join(f"<{'th' if r == 0 else 'td'}>{e(c)}</{'th' if r == 0 else 'td'}>" for c in row) + "</tr>"
        for r, row in enumerate(TABLE)
    )
    parts.append(f'<table class="{table_class}"><tbody>{rows}</tbody></table>')
    parts.append(f"<p>{e(CLOSING)}</p>")
    parts.append('<p style="text-align:center;"><strong>-0-</strong></p>')
    return parts


def wordpress() -> str:
    body = "\n".join(_body())
    return f"""<!DOCTYPE html><html lang="es-MX"><head><meta charset="UTF-8">
<title>{e(TITLE)} – Secretaría de Salud</title><script>var wp = {{}};</script></head>
<body class="post-template-default single single-post has-sidebar">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Saltar al contenido</a>
<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title">Secretaría de Salud
de Oaxaca</p></div><nav id="site-navigation" class="main-navigation">{MENU}</nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-812" class="post-812 post type-post status-publish">
<header class="entry-header"><h1 class="entry-title">{e(TITLE)}</h1>
<div class="entry-meta"><span class="posted-on">Publicado el 21 febrero, 2023</span>
<span class="byline"> por <span class="author vcard"><a href="/autor">Redacción</a></span></span></div></header>
<div class="entry-content">
{body}
{SHARE}
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">Relacionado</h3>
{RELATED_LINKS}</div>
</div>
<footer class="entry-footer"><span class="cat-links">Publicado en <a href="/c">Salud</a></span>
<span class="tags-links">Etiquetas: <a href="/t/1">medicamentos</a>, <a href="/t/2">abasto</a>,
<a href="/t/3">IMSS-Bienestar</a></span></footer>
</article>
<nav class="navigation post-navigation"><a href="/prev">Entrada anterior: Arranca campaña de vacunación</a></nav>
<div id="comments" class="comments-area"><div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Deja un comentario</h3>
<form><p class="comment-notes">Tu dirección de correo electrónico no será publicada.</p>
<textarea name="comment"></textarea><input type="submit" value="Publicar el comentario"></form></div></div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2>Entradas recientes</h2>
{RELATED_LINKS}</section><section class="widget widget_text"><h2>Aviso</h2><div class="textwidget"><p>Consulta el
calendario de vacunación en tu centro de salud más cercano.</p></div></section></aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info">© 2024 Gobierno del Estado de Oaxaca.
Todos los derechos reservados. <a href="/privacidad">Aviso de privacidad</a></div></footer>
</div></body></html>"""


def drupal() -> str:
    body = "\n".join(_body())
    return f"""<!DOCTYPE html><html lang="es" dir="ltr"><head><meta charset="utf-8"><title>{e(TITLE)}</title></head>
<body class="path-node page-node-type-noticia">
<div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
<div class="layout-container">
<header role="banner"><div class="region region-header"><a href="/" rel="home">Servicios de Salud de Oaxaca</a></div>
<div class="region region-primary-menu"><nav role="navigation" id="block-main-menu">{MENU}</nav></div></header>
<div class="region region-breadcrumb"><div id="block-breadcrumbs"><ol><li><a href="/">Inicio</a></li>
<li><a href="/noticias">Noticias</a></li></ol></div></div>
<main role="main"><div class="layout-content"><div class="region region-content">
<div id="block-page-title" class="block block-core block-page-title-block">
<h1 class="page-title"><span class="field field--name-title field--type-string">{e(TITLE)}</span></h1></div>
<div id="block-system-main" class="block block-system block-system-main-block">
<div role="article" class="node node--type-noticia node--view-mode-full">
<div class="node__meta"><span>Enviado por <a href="/user/3">comunicacion</a> el Mar, 21/02/2023 - 12:40</span></div>
<div class="node__content">
<div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden
field__item">
{body}
</div>
<div class="field field--name-field-tags field--type-entity-reference field--label-above">
<div class="field__label">Etiquetas</div><div class="field__items"><div class="field__item"><a href="/t/1">
medicamentos</a></div><div class="field__item"><a href="/t/2">abasto</a></div></div></div>
<div class="addtoany_list">Compartir en <a>Facebook</a> <a>Twitter</a> <a>WhatsApp</a></div>
</div></div></div></div></div></main>
<footer role="contentinfo"><div class="region region-footer"><p>Servicios de Salud de Oaxaca. J. P. García 103,
Centro, Oaxaca de Juárez. Tel. 951 516 3522.</p><p>© 2024 Gobierno del Estado de Oaxaca</p></div></footer>
</div></div></body></html>"""


def gobmx() -> str:
    body = "\n".join(_body())
    return f"""<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>{e(TITLE)} | Secretaría de Salud |
Gobierno | gob.mx</title></head><body>
<nav class="navbar navbar-inverse sub-navbar navbar-fixed-top"><div class="container"><a class="navbar-brand"
href="/">gob.mx</a><ul class="nav navbar-nav"><li><a href="/tramites">Trámites</a></li><li><a href="/gobierno">
Gobierno</a></li><li><a href="/busqueda">Búsqueda</a></li></ul></div></nav>
<div class="container"><div class="row"><div class="col-md-8">
<ol class="breadcrumb"><li><a href="/">Inicio</a></li><li><a href="/salud">Secretaría de Salud</a></li>
<li><a href="/salud/prensa">Prensa</a></li><li class="active">{e(TITLE[:30])}</li></ol>
<h1>{e(TITLE)}</h1>
<div class="pull-left"><dl><dd>Secretaría de Salud</dd><dd>| 21 de febrero de 2023</dd></dl></div>
<div class="clearfix"></div><div class="article-body">
{body}
</div>
<div class="tags"><strong>Etiquetas:</strong> <a href="#">Salud</a> <a href="#">IMSS-Bienestar</a></div>
<div class="share-info"><a class="share-facebook">Facebook</a><a class="share-twitter">Twitter</a></div>
<div class="clearfix"></div><div class="row"><div class="col-md-12"><h3>Te puede interesar</h3>
{RELATED_LINKS}</div></div>
</div>
<div class="col-md-4"><h2>Prensa</h2><ul><li><a href="/p1">Comunicado 45: jornada de vacunación</a></li>
<li><a href="/p2">Comunicado 44: abasto de insulina</a></li></ul></div></div></div>
<footer class="main-footer"><div class="list-info"><h5>Enlaces</h5><ul><li><a>Participa</a></li>
<li><a>Publicaciones oficiales</a></li></ul><p>¿Qué es gob.mx? Es el portal único de trámites, información y
participación ciudadana.</p></div></footer></body></html>"""


def state_portal() -> str:
    body = "\n".join(_body(table_class="datos"))
    sidebar_text = (
        "<p>La Secretaría de Salud pone a su disposición el directorio de hospitales y centros de salud del "
        "estado, con horarios de atención y números de teléfono para urgencias.</p>"
        "<p>Horario de atención al público: lunes a viernes de 9:00 a 15:00 horas en las oficinas centrales "
        "de la Secretaría.</p>"
    )
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Gobierno del Estado - Boletines</title></head><body>
<div id="encabezado"><img src="logo.png" alt="Gobierno del Estado"><div id="menu-principal">{MENU}</div></div>
<div id="contenedor">
<div id="columna-izquierda"><h3>Trámites y servicios</h3><ul><li><a>Actas de nacimiento</a></li><li><a>Licencias
</a></li><li><a>Pago de tenencia</a></li></ul><h3>Directorio</h3>{sidebar_text}</div>
<div id="columna-central">
<div class="fecha">21/02/2023</div>
<h1 class="titulo-boletin">{e(TITLE)}</h1>
{body}
<p>Fotos: Coordinación de Comunicación Social</p>
<div class="te-puede-interesar"><h3>Te puede interesar</h3>{RELATED_LINKS}</div>
</div>
<div id="columna-derecha"><div class="banner"><a href="/vacunacion"><img src="vacuna.png" alt="Vacúnate"></a>
</div><h3>Lo más visto</h3>{RELATED_LINKS}<h3>Síguenos</h3><p><a>Facebook</a> <a>Twitter</a> <a>YouTube</a></p></div>
</div>
<div id="pie"><p>© 2024 Gobierno del Estado de Oaxaca. Ciudad Administrativa, Tlalixtac de Cabrera.</p></div>
</body></html>"""


LAYOUTS = {"wordpress": wordpress, "drupal": drupal, "gobmx": gobmx, "state_portal": state_portal}

# Chrome text on the pages; none of it may end up in a paragraph.
CHROME = [
    "Inicio",
    "Transparencia",
    "Saltar al contenido",
    "Publicado el",
    "Redacción",
    "Foto: IMSS-Bienestar",
    "Lee también",
    "Compartir",
    "Facebook",
    "WhatsApp",
    "Relacionado",
    "IMSS abre convocatoria para médicos",
    "Etiquetas",
    "medicamentos, abasto",
    "Deja un comentario",
    "Entradas recientes",
    "calendario de vacunación",
    "©",
    "Aviso de privacidad",
    "Enviado por",
    "Noticias",
    "Trámites",
    "Te puede interesar",
    "Comunicado 45",
    "portal único",
    "directorio de hospitales",
    "Horario de atención",
    "Lo más visto",
    "Síguenos",
    "Fotos: Coordinación",
    "21/02/2023",
    "21 de febrero de 2023</dd>",
]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout_gives_the_release_and_only_the_release(tmp_path: Path, layout: str) -> None:
    p = tmp_path / f"{layout}.html"
    p.write_text(LAYOUTS[layout](), encoding="utf-8")
    text, notes = read_release(p)
    seg = segment(text)
    assert seg.paragraphs == EXPECTED
    for chrome in CHROME:
        assert not [para for para in seg.paragraphs if chrome in para], chrome
    # Everything dropped is reported: reader warnings (one line, naming the file) or segment's list.
    for note in notes:
        assert note.startswith(str(p)) and "\n" not in note
    reported = " ".join(notes) + " " + " ".join(f"{d.reason}: {d.text}" for d in seg.dropped)
    assert "closing mark: -0-" in reported
    assert "Lee también" in reported  # inside the article: dropped by the segmenter
    assert "Foto: IMSS-Bienestar" in reported
    assert notes and "dropped web-page chrome" in notes[0]
    assert "Etiquetas" in reported or layout == "state_portal"  # the portal has no tag list


def test_wordpress_reports_each_kind_of_chrome(tmp_path: Path) -> None:
    p = tmp_path / "wp.html"
    p.write_text(wordpress(), encoding="utf-8")
    text, notes = read_release(p)
    (note,) = notes
    for category in ("site header", "byline", "share bar", "related links", "comments", "sidebar", "footer"):
        assert category in note, category
    assert "Etiquetas: medicamentos" in note and "© 2024 Gobierno del Estado" in note
    reasons = {d.reason for d in segment(text).dropped}
    assert reasons == {"photo credit", "related link", "closing mark"}


def test_state_portal_sidebars_without_marks_are_left_out_and_reported(tmp_path: Path) -> None:
    p = tmp_path / "estado.html"
    p.write_text(state_portal(), encoding="utf-8")
    text, notes = read_release(p)
    assert "directorio de hospitales" not in text
    assert "other text outside the release" in notes[0]
    assert "Fotos: Coordinación de Comunicación Social" in [d.text for d in segment(text).dropped]


def test_layout_table_is_read_as_blocks(tmp_path: Path) -> None:
    # Old portals lay the page out with a table: its cells are not a data table.
    page = (
        "<html><body><table><tr><td class='menu'>" + MENU + "</td><td>"
        + "".join(f"<p>{e(t)}</p>" for t in [TITLE, LEAD, BODY1, LONG])
        + "</td></tr></table></body></html>"
    )
    p = tmp_path / "tabla.html"
    p.write_text(page, encoding="utf-8")
    assert segment(read_release(p)[0]).paragraphs == [TITLE, LEAD, BODY1, LONG]


def test_aspnet_page_wide_form_is_not_chrome(tmp_path: Path) -> None:
    page = (
        "<html><body><form id='form1' action='Boletin.aspx'><div class='menu'>" + MENU + "</div>"
        + "".join(f"<p>{e(t)}</p>" for t in [TITLE, LEAD, BODY1])
        + "<input type='hidden' name='__VIEWSTATE' value='x'></form></body></html>"
    )
    p = tmp_path / "aspnet.html"
    p.write_text(page, encoding="utf-8")
    assert segment(read_release(p)[0]).paragraphs == [TITLE, LEAD, BODY1]


def test_ordered_list_items_keep_their_numbers(tmp_path: Path) -> None:
    p = tmp_path / "ol.html"
    p.write_text("<article><p>Acuerdos:</p><ol><li>Abastecer farmacias</li><li>Contratar personal</li></ol></article>")
    assert segment(read_release(p)[0]).paragraphs == ["Acuerdos:", "1. Abastecer farmacias", "2. Contratar personal"]


# --- comparison with trafilatura and readability-lxml (not a test) ------------------


def _compare() -> None:  # pragma: no cover - a measurement, run by hand
    import tempfile

    def ours(page: str) -> str:
        with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as fh:
            fh.write(page)
        try:
            return read_release(fh.name)[0]
        finally:
            Path(fh.name).unlink()

    extractors = {"bulletin_clf (lxml rules)": ours}
    try:
        import trafilatura

        extractors["trafilatura"] = lambda page: trafilatura.extract(
            page, include_tables=True, include_comments=False, favor_precision=False
        ) or ""
    except ImportError:
        pass
    try:
        from lxml import html as lxml_html
        from readability import Document

        def readability(page: str) -> str:
            summary = Document(page).summary(html_partial=True)
            tree = lxml_html.fromstring(summary)
            for el in tree.iter("p", "li", "h1", "h2", "h3", "tr", "div", "td", "th", "br"):
                el.tail = ("\n\n" if el.tag not in ("td", "th") else " | ") + (el.tail or "")
            return tree.text_content()

        extractors["readability-lxml"] = readability
    except ImportError:
        pass
    norm = " ".join
    for name, fn in extractors.items():
        kept = chrome_left = 0
        elapsed = 0.0
        for layout in LAYOUTS.values():
            page = layout()
            start = time.perf_counter()
            for _ in range(5):
                text = fn(page)
            elapsed += (time.perf_counter() - start) / 5
            paragraphs = segment(text).paragraphs
            flat = norm(" ".join(paragraphs).split())
            kept += sum(1 for para in EXPECTED if norm(para.split()) in flat)
            chrome_left += sum(1 for c in CHROME if any(c in para for para in paragraphs))
        print(
            f"{name:28s} body kept {kept}/{len(EXPECTED) * len(LAYOUTS)}  chrome left {chrome_left}/"
            f"{len(CHROME) * len(LAYOUTS)}  {1000 * elapsed / len(LAYOUTS):.1f} ms/page"
        )


if __name__ == "__main__":
    _compare()
