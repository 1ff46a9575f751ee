"""Every page text comes from the one catalogue and has a Chinese translation."""
import re
import string

from web import i18n


def placeholders(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_msgid_has_a_chinese_translation_with_the_same_placeholders():
    catalog = i18n.load_catalog("zh")
    wanted = i18n.extract_msgids()
    assert len(wanted) > 150
    missing = sorted(m for m in wanted if m not in catalog or not catalog[m].string)
    assert not missing, f"add to web/locale/zh/LC_MESSAGES/web.po (python -m web.i18n): {missing}"
    for msgid in wanted:
        assert placeholders(catalog[msgid].string) == placeholders(msgid), msgid


def test_no_obsolete_entries():
    catalog = i18n.load_catalog("zh")
    wanted = i18n.extract_msgids()
    assert sorted(m.id for m in catalog if m.id and m.id not in wanted) == []


def test_templates_have_no_bare_text_outside_the_catalogue():
    """Visible text in templates is only inside {{ }} (from the catalogue or data)."""
    for path in (i18n.LOCALE_DIR.parent / "views").glob("*.tpl"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("%"):
                continue
            text = re.sub(r"\{\{.*?\}\}", "", line)
            text = re.sub(r"<[^>]*>", "", text)
            words = re.findall(r"[A-Za-z\u4e00-\u9fff]{2,}", text)
            assert not words, f"{path.name}:{number}: literal text {words}"


def test_pages_default_to_chinese_and_switch_to_english(admin_client):
    assert "总览" in admin_client.page("/").text
    resp = admin_client.get("/lang/en?next=/inbox")
    assert resp.status == 303 and resp.getheader("Location") == "/inbox"
    html = admin_client.page("/").text
    assert "Dashboard" in html and "总览" not in html
