"""Scanned pages: `Line`s in, a 300-dpi greyscale page image (PIL) out, with no text layer.

DejaVu Serif on an A4 page, then the slight skew, blur and paper tone a flatbed scanner leaves, so
the eval's OCR path reads what a user's scan would give it.
"""

from __future__ import annotations

import io

from evaluation.genre_docs.model import FONT_DIR, Line

DPI = 300
A4_PX = (2480, 3508)


def _font(size_pt: float, bold: bool = False, italic: bool = False):
    from PIL import ImageFont

    name = "DejaVuSerif" + ("-Bold" if bold else "") + ("Italic" if italic and bold else "")
    if italic and not bold:
        name = "DejaVuSerif-Italic"
    return ImageFont.truetype(str(FONT_DIR / f"{name}.ttf"), round(size_pt * DPI / 72))


def _wrap(draw, text: str, font, width: int, indent: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        avail = width - (indent if not lines else 0)
        if cur and draw.textlength(trial, font=font) > avail:
            lines.append(cur)
            cur = w
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def render_scan(columns: list[list[Line]], body: list[Line], skew_deg: float = 0.35):
    """A page as a 300-dpi greyscale scan: header columns side by side, then the body, then a slight
    skew and blur the way a flatbed scanner leaves it. No text layer, of course."""
    from PIL import Image, ImageDraw, ImageFilter

    img = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(img)

    def place(lines: list[Line], y: int) -> int:
        for ln in lines:
            font = _font(ln.size, ln.bold, ln.italic)
            height = round(ln.size * DPI / 72 * 1.32)
            for i, piece in enumerate(_wrap(draw, ln.text, font, ln.x1 - ln.x0, ln.indent)):
                width = draw.textlength(piece, font=font)
                if ln.align == "center":
                    x = ln.x0 + (ln.x1 - ln.x0 - width) / 2
                else:
                    x = ln.x0 + (ln.indent if i == 0 else 0)
                draw.text((x, y), piece, font=font, fill=25)
                y += height
            y += round(height * ln.gap)
        return y

    top = 236  # 2 cm
    y = max(place(col, top) for col in columns) if columns else top
    y = place(body, y + 40)
    img = img.rotate(skew_deg, resample=Image.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    # a scanner's paper tone: light grey, quantised so the PNG stays small
    img = img.point(lambda v: 242 if v > 235 else v)
    return img.quantize(colors=16, dither=Image.Dither.NONE).convert("L")


def png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True, dpi=(DPI, DPI))
    return buf.getvalue()
