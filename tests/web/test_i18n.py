"""The catalogues are complete and the locale formatting is right."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pulso.web import catalogue, i18n


def test_every_message_has_a_spanish_translation() -> None:
    gaps = catalogue.missing("es")
    assert not gaps, "translate these (python -m pulso.web.catalogue): " + ", ".join(
        f"{m.msgid!r} ({m.where})" for m in gaps[:20]
    )


def test_extraction_finds_templates_and_code() -> None:
    found = catalogue.extracted()
    assert "Sign in to Pulso" in found  # a template
    assert "Wrong e-mail or password." in found  # tr() in a page module
    assert "Overview" in found  # an N_() constant


def test_spanish_placeholders_match_the_english_ones() -> None:
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    translated = catalogue.translated("es")
    for msgid, text in translated.items():
        assert set(placeholder.findall(msgid)) == set(placeholder.findall(text)), msgid


def test_translations_merge_every_area_file() -> None:
    spanish = i18n.translations("es")
    assert spanish.gettext("Overview") == "Resumen"
    assert spanish.gettext("Sign in") == "Entrar"
    assert i18n.translations("en").gettext("Overview") == "Overview"


def test_numbers_dates_in_the_users_locale() -> None:
    assert i18n.format_number(1234.5, "es") == "1.234,5"
    assert i18n.format_number(1234.5, "en") == "1,234.5"
    assert i18n.format_integer(1234567, "es") == "1.234.567"
    assert i18n.format_number(None, "es") == "—"
    assert i18n.format_percent(0.425, "es") == "42,5 %"
    assert i18n.format_date(date(2026, 3, 5), "es") == "5 mar 2026"
    assert i18n.format_date(date(2026, 3, 5), "en") == "Mar 5, 2026"


def test_instants_shown_in_the_organisation_zone() -> None:
    instant = datetime(2026, 3, 5, 3, 30, tzinfo=UTC)  # still the 4th in Mexico City
    assert i18n.local_date(instant, "America/Mexico_City") == date(2026, 3, 4)
    assert "21:30" in i18n.format_datetime(instant, "es", "America/Mexico_City")


def test_locale_names_are_normalised() -> None:
    assert i18n.normalise_locale("es-MX") == "es"
    assert i18n.normalise_locale("en_GB") == "en"
    assert i18n.normalise_locale("fr") == "es"
    assert i18n.normalise_locale(None) == "es"


def test_domain_error_messages_pick_a_language() -> None:
    message = "wrong e-mail or password / correo o contraseña incorrectos"
    assert i18n.localized_message(message, "es") == "correo o contraseña incorrectos"
    assert i18n.localized_message(message, "en") == "wrong e-mail or password"


def test_one_message_has_one_translation_across_area_files() -> None:
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    for path in i18n.catalogue_files("es"):
        with path.open("rb") as handle:
            for entry in read_po(handle, locale="es"):
                if not entry.id or not isinstance(entry.id, str) or not isinstance(entry.string, str):
                    continue
                if entry.id in seen:
                    first_file, first_text = seen[entry.id]
                    assert first_text == entry.string, f"{entry.id!r}: {first_file} and {path.name} disagree"
                seen[entry.id] = (path.name, entry.string)


def test_no_message_carries_an_ascii_double_quote() -> None:
    """gettext output is trusted markup, so a '"' would close an HTML attribute it is placed in."""
    found = catalogue.extracted()
    texts = list(found) + list(catalogue.translated("es").values())
    assert not [t for t in texts if '"' in t], "use “typographic quotes” in interface texts"
