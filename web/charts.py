"""Charts for the reports page as inline SVG, drawn on the box (no JavaScript
library, nothing from the internet). Built with xml.etree so every text and
attribute is escaped by the serializer and the result is well-formed XML.
Colours come from CSS classes in static/style.css (the CSP forbids inline styles).
"""
import xml.etree.ElementTree as ET

WIDTH = 720
LABEL_WIDTH = 200   # left column of the horizontal bar charts
ROW_HEIGHT = 22


def _svg(width, height, label, cls="chart"):
    return ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "class": cls, "role": "img",
                              "width": str(width), "height": str(height),
                              "viewBox": f"0 0 {width} {height}", "aria-label": label})


def _text(parent, x, y, text, cls="chart-label", anchor="start"):
    node = ET.SubElement(parent, "text", {"x": f"{x:g}", "y": f"{y:g}", "class": cls, "text-anchor": anchor})
    node.text = str(text)
    return node


def _rect(parent, x, y, width, height, cls, tooltip=None):
    node = ET.SubElement(parent, "rect", {"x": f"{x:.2f}", "y": f"{y:.2f}", "width": f"{max(width, 0):.2f}",
                                          "height": f"{max(height, 0):.2f}", "class": cls})
    if tooltip:
        ET.SubElement(node, "title").text = str(tooltip)
    return node


def to_string(svg):
    return ET.tostring(svg, encoding="unicode")


def daily_chart(days, label, rate_label, width=WIDTH):
    """One column per day; a bar for the day's count, e.g. sent parts (only days with data), and
    a dot for its delivery rate if it has one (0–100 % on the right axis).
    days: [{"day": "YYYY-MM-DD", "parts": int, "rate": float or None}] in order; `width`
    NARROW for a phone (a date under every 5th column either way)."""
    height, top, bottom, left, right = 240, 16, 36, 40, 40
    plot_h = height - top - bottom
    slot = (width - left - right) / max(len(days), 1)
    peak = max([d["parts"] for d in days] + [1])
    svg = _svg(width, height, label, "chart chart-wide" if width > NARROW else "chart chart-narrow")
    ET.SubElement(svg, "line", {"x1": str(left), "y1": str(height - bottom), "x2": str(width - right),
                                "y2": str(height - bottom), "class": "chart-axis"})
    _text(svg, left - 4, top + 4, peak, "chart-label", "end")
    _text(svg, left - 4, height - bottom, 0, "chart-label", "end")
    if rate_label:  # the right axis only where there is a rate
        _text(svg, width - right + 4, top + 4, "100%")
        _text(svg, width - right + 4, height - bottom, "0%")
    points = []
    for i, d in enumerate(days):
        x = left + i * slot
        if d["parts"]:
            h = plot_h * d["parts"] / peak
            _rect(svg, x + slot * 0.15, height - bottom - h, slot * 0.7, h, "chart-bar bar-volume",
                  f"{d['day']}: {d['parts']}")
        if d["rate"] is not None:
            cy = height - bottom - plot_h * d["rate"]
            points.append(f"{x + slot / 2:.2f},{cy:.2f}")
            dot = ET.SubElement(svg, "circle", {"cx": f"{x + slot / 2:.2f}", "cy": f"{cy:.2f}", "r": "3",
                                                "class": "chart-rate"})
            ET.SubElement(dot, "title").text = f"{d['day']}: {rate_label} {d['rate'] * 100:.1f}%"
        if i % 5 == 0 or i == len(days) - 1:
            _text(svg, x + slot / 2, height - bottom + 16, d["day"][5:], "chart-label", "middle")
    if len(points) > 1:
        ET.SubElement(svg, "polyline", {"points": " ".join(points), "class": "chart-rate-line"})
    return to_string(svg)


def hbar_chart(rows, label, value_format=str):
    """Horizontal bars: rows are (name, value) pairs, largest first."""
    height = ROW_HEIGHT * max(len(rows), 1) + 8
    svg = _svg(WIDTH, height, label)
    peak = max([float(v) for _, v in rows] + [1e-9])
    bar_space = WIDTH - LABEL_WIDTH - 90
    for i, (name, value) in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        _text(svg, LABEL_WIDTH - 6, y + 15, name, "chart-label", "end")
        _rect(svg, LABEL_WIDTH, y + 3, bar_space * float(value) / peak, ROW_HEIGHT - 6, "chart-bar bar-hbar",
              f"{name}: {value_format(value)}")
        _text(svg, LABEL_WIDTH + bar_space * float(value) / peak + 6, y + 15, value_format(value))
    return to_string(svg)


NARROW = 360  # a chart a phone shows at its own size: the label above its bar


def stacked_hbar_chart(rows, label, value_format=str):
    """Horizontal bars for a narrow screen: each row's name on a line of its own, its bar
    and value below; rows are (name, value) pairs in the order to show."""
    step = 2 * ROW_HEIGHT
    svg = _svg(NARROW, step * max(len(rows), 1) + 4, label)
    peak = max([float(v) for _, v in rows] + [1e-9])
    bar_space = NARROW - 80
    for i, (name, value) in enumerate(rows):
        y = 4 + i * step
        _text(svg, 0, y + 13, name)
        width = bar_space * float(value) / peak
        _rect(svg, 0, y + ROW_HEIGHT, width, ROW_HEIGHT - 8, "chart-bar bar-hbar", f"{name}: {value_format(value)}")
        _text(svg, width + 6, y + ROW_HEIGHT + 11, value_format(value))
    return to_string(svg)

