"""Web pages: an article or a news item and its site's chrome in, an .html page out, its record filled.

Each page is written as its kind of site serves it (menus, search box, table of contents, edit links,
share bar, captions, byline, related links, footers), and every line of that chrome goes into the
record with the reason a reader should drop it, as the page is written.
"""

from __future__ import annotations

import html

from evaluation.genre_docs.model import Article, NewsPage, Site
from evaluation.genre_docs.record import Record

E = html.escape


def encyclopedia_page(art: Article, site: Site, rec: Record) -> str:
    rec.add(art.title, split=False)
    toc = [t for lvl, t, _ in art.sections if lvl == 2]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{E(art.title)} – {E(site.name)}</title>",
        '<link rel="stylesheet" href="/static/wiki.css">',
        "</head>",
        "<body>",
        '<a class="skip-link" href="#content">Bước tới nội dung</a>',
        f'<header class="site-header"><div class="logo">{E(site.name)}</div>',
        '<form class="search" action="/tim-kiem"><input name="q" placeholder="Tìm kiếm">'
        "<button>Tìm</button></form></header>",
        '<nav class="main-menu" aria-label="Trình đơn chính"><ul>',
        *[f'<li><a href="/{i}">{E(t)}</a></li>' for i, t in enumerate(site.menu)],
        "</ul></nav>",
        '<main id="content"><article>',
        f'<h1 class="firstHeading">{E(art.title)}</h1>',
        f'<div class="siteSub">{E(site.name)}</div>',
        '<table class="infobox">',
        f"<caption>{E(art.title.split(' (')[0])}</caption>",
    ]
    rec.chrome_line("Bước tới nội dung", "skip link")
    rec.chrome_line("Tìm kiếm", "search box")
    for t in site.menu:
        rec.chrome_line(t, "site menu (<nav>)")
    rec.chrome_line(site.name, "site name under the title")
    for label, value in art.infobox:
        parts.append(f'<tr><th scope="row">{E(label)}</th><td>{E(value)}</td></tr>')
        rec.add(label, split=False)
        rec.add(value, split=False)
    parts.append("</table>")
    for para in art.lead:
        parts.append(f"<p>{E(para)}</p>")
        rec.add(para)
    parts.append('<nav id="toc" aria-label="Mục lục"><h2>Mục lục</h2><ol>')
    for i, t in enumerate(toc, 1):
        parts.append(f'<li><a href="#s{i}">{i} {E(t)}</a></li>')
    parts.append("</ol></nav>")
    rec.chrome_line("Mục lục", "table of contents")
    for i, t in enumerate(toc, 1):
        rec.chrome_line(f"{i} {t}", "table of contents")
    n = 0
    for level, heading, paras in art.sections:
        n += level == 2
        anchor = f' id="s{n}"' if level == 2 else ""
        parts.append(
            f"<h{level}{anchor}>{E(heading)}"
            '<span class="mw-editsection">[<a href="?action=edit">sửa</a>]</span>'
            f"</h{level}>"
        )
        rec.add(heading, split=False)
        for para in paras:
            parts.append(f"<p>{E(para)}</p>")
            rec.add(para)
    rec.chrome_line("[sửa]", "edit link next to each heading")
    parts += [
        '<div class="catlinks">Thể loại: '
        + " | ".join(f'<a href="/the-loai/{i}">{E(c)}</a>' for i, c in enumerate(art.categories))
        + "</div>",
        "</article></main>",
        "<footer><ul>",
        f"<li>{E(art.modified)}</li>",
        *[f"<li>{E(t)}</li>" for t in site.footer],
        "</ul></footer>",
        "</body>",
        "</html>",
    ]
    for c in art.categories:
        rec.chrome_line(c, "category links at the end of the article")
    rec.chrome_line(art.modified, "page footer")
    for t in site.footer:
        rec.chrome_line(t, "page footer")
    return "\n".join(parts) + "\n"


def news_page(n: NewsPage, rec: Record) -> str:
    crumbs = " › ".join(f'<a href="{E(href)}">{E(text)}</a>' for text, href in n.breadcrumb)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{E(n.title)} - {E(n.site_title)}</title>",
        f'<meta property="article:published_time" content="{E(n.published)}">',
        "</head>",
        "<body>",
        f'<header><div class="logo">{E(n.banner)}</div>',
        '<nav class="menu"><ul>',
        *[f'<li><a href="/m{i}">{E(t)}</a></li>' for i, t in enumerate(n.menu)],
        "</ul></nav></header>",
        f'<div class="breadcrumb">{crumbs}</div>',
        '<main><article class="detail">',
        f"<h1>{E(n.title)}</h1>",
        f'<div class="meta"><time datetime="{E(n.time)}">{E(n.date)}</time></div>',
        '<div class="share-bar">',
        *[f'<a class="share" href="#s{i}">{E(t)}</a>' for i, t in enumerate(n.share)],
        "</div>",
        f'<p class="sapo"><strong>{E(n.sapo)}</strong></p>',
    ]
    rec.chrome_line(n.banner, "site banner")
    for t in n.menu:
        rec.chrome_line(t, "site menu (<nav>)")
    rec.chrome_line(" › ".join(text for text, _ in n.breadcrumb), "breadcrumb")
    for t in n.share:
        rec.chrome_line(t, "share bar")
    rec.add(n.title, split=False)
    rec.add(n.sapo)
    figures = {f.after: f for f in n.figures}
    for i, para in enumerate(n.paragraphs):
        parts.append(f"<p>{E(para)}</p>")
        rec.add(para)
        if i in figures:
            parts += [
                '<figure class="image">',
                f'<img src="{E(figures[i].src)}" alt="">',
                f"<figcaption>{E(figures[i].caption)}</figcaption>",
                "</figure>",
            ]
            rec.chrome_line(figures[i].caption, "photo caption (<figcaption>)")
    parts += [
        f'<p class="author">{E(n.byline)}</p>',
        "</article>",
        '<aside class="related">',
        f"<h3>{E(n.related_heading)}</h3><ul>",
        *[f'<li><a href="/tin/{i}">{E(t)}</a></li>' for i, t in enumerate(n.related)],
        "</ul></aside>",
        "</main>",
        "<footer>",
        *[f"<p>{E(t)}</p>" for t in n.footer],
        "</footer>",
        "</body>",
        "</html>",
    ]
    rec.chrome_line(n.byline, "author byline")
    for t in (n.related_heading, *n.related):
        rec.chrome_line(t, "related-news links")
    for t in n.footer:
        rec.chrome_line(t, "site footer")
    return "\n".join(parts) + "\n"
