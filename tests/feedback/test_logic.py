"""Pure import rules: headers, sniffing, and the parsing of dates, numbers, channels and more."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from pulso.feedback import logic
from pulso.feedback.enums import ImportKind
from pulso.feedback.logic import ROW, FieldSpec, ParseContext, UnusableFile


def test_normalize_header_ignores_case_accents_spaces_and_camel_case() -> None:
    assert logic.normalize_header("  Fecha de Respuesta ") == "fecha_de_respuesta"
    assert logic.normalize_header("Recomendación") == "recomendacion"
    assert logic.normalize_header("customerId") == "customer_id"
    assert logic.normalize_header("NPS") == "nps"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Fecha", "received_at"),
        ("fecha_respuesta", "received_at"),
        ("Fecha de respuesta", "received_at"),
        ("date", "received_at"),
        ("responded_at", "received_at"),
        ("NPS", "nps"),
        ("Recomendación", "nps"),
        ("Likelihood to recommend", "nps"),
        ("Comentario", "comment"),
        ("verbatim", "comment"),
        ("Texto", "comment"),
        ("Cliente", "customer"),
        ("id_cliente", "customer"),
        ("Agente", "agent"),
        ("Canal", "channel"),
        ("Punto de contacto", "touchpoint"),
        ("SKU", "product"),
        ("Equipo", "team"),
        ("Idioma", "language"),
        ("Satisfacción", "csat"),
        ("Esfuerzo", "ces"),
        ("Estrellas", "rating"),
        ("ID", "external_id"),
        ("id_respuesta", "external_id"),
    ],
)
def test_feedback_headers_in_spanish_and_english(header: str, field: str) -> None:
    columns = {"received_at": "Fecha", "comment": "Comentario", field: header}
    plan = logic.plan_columns(list(columns.values()), ImportKind.FEEDBACK)
    assert plan.fields[field] == header


def test_explicit_mapping_wins_and_unmapped_columns_become_extras() -> None:
    plan = logic.plan_columns(
        ["Fecha", "Columna X", "NPS", "Otra", "Sucursal"],
        ImportKind.FEEDBACK,
        {"Columna X": "nps", "Otra": "comment", "NPS": "ignore"},
    )
    assert plan.fields["nps"] == "Columna X"
    assert plan.fields["comment"] == "Otra"
    assert plan.extras == ("Sucursal",)


def test_mapping_targets_may_be_spanish_names_of_fields() -> None:
    plan = logic.plan_columns(["Cuándo", "Puntos"], ImportKind.FEEDBACK, {"Cuándo": "Fecha", "Puntos": "recomendación"})
    assert plan.fields == {"received_at": "Cuándo", "nps": "Puntos"}


def test_missing_required_column_names_it_and_lists_the_headers() -> None:
    with pytest.raises(UnusableFile) as err:
        logic.plan_columns(["cuando", "NPS"], ImportKind.FEEDBACK)
    assert "received_at" in err.value.message
    assert "'cuando'" in err.value.message
    assert "'NPS'" in err.value.message


def test_mapping_to_unknown_field_or_missing_column_is_unusable() -> None:
    with pytest.raises(UnusableFile, match="not a field"):
        logic.plan_columns(["fecha", "x"], ImportKind.FEEDBACK, {"x": "happiness"})
    with pytest.raises(UnusableFile, match="not in the file"):
        logic.plan_columns(["fecha", "nps"], ImportKind.FEEDBACK, {"y": "nps"})


def test_customer_and_interaction_headers() -> None:
    plan = logic.plan_columns(["Cliente", "Nombre", "Correo", "Segmento", "VIP", "Plan"], ImportKind.CUSTOMERS)
    assert plan.fields == {
        "external_id": "Cliente",
        "name": "Nombre",
        "email": "Correo",
        "segment": "Segmento",
        "is_key_account": "VIP",
    }
    assert plan.extras == ("Plan",)
    plan = logic.plan_columns(["Ticket", "Fecha apertura", "Estado", "Fecha resolución"], ImportKind.INTERACTIONS)
    assert plan.fields["external_id"] == "Ticket"
    assert plan.fields["opened_at"] == "Fecha apertura"
    assert plan.fields["resolved_at"] == "Fecha resolución"


def test_sniff_encoding() -> None:
    assert logic.sniff_encoding("Opinión".encode()) == "utf-8"
    assert logic.sniff_encoding(b"\xef\xbb\xbf" + "Opinión".encode()) == "utf-8-sig"
    assert logic.sniff_encoding("Opinión".encode("cp1252")) == "cp1252"
    assert logic.sniff_encoding("Opinión".encode("utf-16")) == "utf-16"


@pytest.mark.parametrize(
    ("line", "sep"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"x,y";b;c', ";"), ("solo", ",")],
)
def test_sniff_separator(line: str, sep: str) -> None:
    assert logic.sniff_separator(line) == sep


def test_parse_separator_names() -> None:
    assert logic.parse_separator("tab") == "\t"
    assert logic.parse_separator("\\t") == "\t"
    assert logic.parse_separator(";") == ";"
    with pytest.raises(UnusableFile):
        logic.parse_separator(";;")


NPS = FieldSpec("nps", "int", low=0, high=10)


def test_parse_int_accepts_decimal_commas_and_excel_floats() -> None:
    parsed = logic.parse_int(pl.Series(["9", " 10 ", "7,0", "", None]), NPS)
    assert parsed.value.to_list() == [9, 10, 7, None, None]
    assert parsed.reason.null_count() == 5
    parsed = logic.parse_int(pl.Series([9.0, None]), NPS)
    assert parsed.value.to_list() == [9, None]


def test_parse_int_reasons_in_english_and_spanish() -> None:
    parsed = logic.parse_int(pl.Series(["11", "4,5", "diez", "-1"]), NPS)
    assert parsed.value.to_list() == [None, None, None, None]
    assert parsed.reason.to_list() == [
        "nps: 11 is outside 0–10 / fuera de 0–10",
        "nps: 4,5 is not a whole number / no es un número entero",
        "nps: 'diez' is not a number / no es un número",
        "nps: -1 is outside 0–10 / fuera de 0–10",
    ]


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_parse_datetime_iso_with_and_without_offset_in_the_organisation_zone() -> None:
    spec = FieldSpec("received_at", "datetime")
    ctx = ParseContext(timezone="America/Mexico_City")
    raw = pl.Series(
        [
            "2025-03-05T10:00:00Z",
            "2025-03-05T10:00:00+02:00",
            "2025-03-05 10:00:00-0300",
            "2025-03-05 10:00",  # naive: Mexico City, UTC-6
            "2025-03-05",
            "2025-03-05T10:00:00.250",
        ]
    )
    parsed = logic.parse_datetime(raw, spec, ctx)
    assert parsed.reason.null_count() == raw.len()
    assert parsed.value.to_list() == [
        _utc(2025, 3, 5, 10),
        _utc(2025, 3, 5, 8),
        _utc(2025, 3, 5, 13),
        _utc(2025, 3, 5, 16),
        _utc(2025, 3, 5, 6),
        datetime(2025, 3, 5, 16, 0, 0, 250000, tzinfo=UTC),
    ]


def test_parse_datetime_day_first_by_default_month_first_on_request() -> None:
    spec = FieldSpec("received_at", "datetime")
    raw = pl.Series(["05/03/2025", "05/03/2025 14:30", "5/3/2025 14:30:15", "05-03-2025"])
    dayfirst = logic.parse_datetime(raw, spec, ParseContext(timezone="UTC")).value.to_list()
    assert dayfirst == [_utc(2025, 3, 5), _utc(2025, 3, 5, 14, 30), _utc(2025, 3, 5, 14, 30, 15), _utc(2025, 3, 5)]
    monthfirst = logic.parse_datetime(raw, spec, ParseContext(timezone="UTC", dayfirst=False)).value.to_list()
    assert monthfirst[0] == _utc(2025, 5, 3)


def test_parse_datetime_rejects_nonsense_and_clock_change_gaps() -> None:
    spec = FieldSpec("received_at", "datetime")
    raw = pl.Series(["ayer", "31/02/2025", "2025-03-30 02:30"])
    parsed = logic.parse_datetime(raw, spec, ParseContext(timezone="Europe/Madrid"))
    assert parsed.value.to_list() == [None, None, None]
    reasons = parsed.reason.to_list()
    assert reasons[0] is not None
    assert reasons[0].startswith("received_at: 'ayer' is not a date")
    assert reasons[1] is not None
    assert "is not a date" in reasons[1]
    assert reasons[2] is not None
    assert "does not exist in Europe/Madrid" in reasons[2]


def test_parse_datetime_typed_columns() -> None:
    spec = FieldSpec("received_at", "datetime")
    naive = pl.Series([datetime(2025, 1, 5, 9)])
    parsed = logic.parse_datetime(naive, spec, ParseContext(timezone="America/Mexico_City"))
    assert parsed.value.to_list() == [_utc(2025, 1, 5, 15)]
    aware = pl.Series([datetime(2025, 1, 5, 9, tzinfo=UTC)])
    assert logic.parse_datetime(aware, spec, ParseContext(timezone="Asia/Tokyo")).value.to_list() == [
        _utc(2025, 1, 5, 9)
    ]


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("Teléfono", "phone"),
        ("telefono", "phone"),
        ("TIENDA", "store"),
        ("correo electrónico", "email"),
        ("Correo", "email"),
        ("WhatsApp", "whatsapp"),
        ("redes sociales", "social"),
        ("Web", "web"),
        ("sucursal", "store"),
    ],
)
def test_channels_in_spanish_and_english(text: str, channel: str) -> None:
    spec = FieldSpec("channel", "channel")
    parsed = logic.parse_enum(pl.Series([text]), spec, logic.CHANNEL_ALIASES, "channel")
    assert parsed.value.to_list() == [channel]


def test_unknown_channel_is_refused_with_the_known_ones() -> None:
    spec = FieldSpec("channel", "channel")
    parsed = logic.parse_enum(pl.Series(["fax"]), spec, logic.CHANNEL_ALIASES, "channel")
    reason = parsed.reason.item()
    assert reason.startswith("channel: 'fax' is not a known channel (")
    assert "phone" in reason
    assert "no es un valor conocido" in reason


def test_booleans_and_languages() -> None:
    flags = logic.parse_bool(
        pl.Series(["sí", "Si", "yes", "X", "1", "no", "", None, "quizá"]), FieldSpec("vip", "bool")
    )
    assert flags.value.to_list() == [True, True, True, True, True, False, False, False, False]
    assert flags.reason.null_count() == 8
    languages = logic.parse_language(
        pl.Series(["Español", "en", "es_MX", "inglés", "klingon"]), FieldSpec("language", "language")
    )
    assert languages.value.to_list() == ["es", "en", "es-MX", "en", None]


def test_prepare_hashes_rows_without_an_id_stably_and_tells_twins_apart() -> None:
    frame = pl.DataFrame(
        {
            ROW: [2, 3, 4],
            "fecha": ["2025-01-05", "2025-01-05", "2025-01-06"],
            "nps": ["9", "9", "3"],
        }
    )
    plan = logic.plan_columns(["fecha", "nps"], ImportKind.FEEDBACK)
    first = logic.prepare(frame, plan, ParseContext()).values["external_id"].to_list()
    again = logic.prepare(frame, plan, ParseContext()).values["external_id"].to_list()
    assert first == again
    assert len(set(first)) == 3
    assert first[1] == first[0] + "#2"


def test_prepare_requires_a_score_or_a_comment() -> None:
    frame = pl.DataFrame({ROW: [2, 3], "fecha": ["2025-01-05", "2025-01-05"], "nps": [None, "8"]})
    prepared = logic.prepare(frame, logic.plan_columns(["fecha", "nps"], ImportKind.FEEDBACK), ParseContext())
    assert prepared.errors.to_dicts() == [
        {"row": 2, "field": "nps", "reason": "no score and no comment / sin puntuación ni comentario", "value": None}
    ]


def test_extras_keep_unmapped_columns_as_json_without_empty_cells() -> None:
    frame = pl.DataFrame({"Sucursal": ["Centro", None], "Plan": ['Oro "1"', "Plata"]})
    assert logic.extras_json(frame, ["Sucursal", "Plan"]).to_list() == [
        '{"Sucursal":"Centro","Plan":"Oro \\"1\\""}',
        '{"Plan":"Plata"}',
    ]


def test_interactions_resolution_before_opening_is_refused() -> None:
    frame = pl.DataFrame(
        {
            ROW: [2, 3],
            "ticket": ["T1", "T2"],
            "apertura": ["2025-01-05 10:00", "2025-01-05 10:00"],
            "resolved_at": ["2025-01-05 09:00", "2025-01-05 11:00"],
        }
    )
    plan = logic.plan_columns(frame.columns[1:], ImportKind.INTERACTIONS)
    prepared = logic.prepare(frame, plan, ParseContext())
    assert prepared.errors["row"].to_list() == [2]
    assert prepared.errors["field"].to_list() == ["resolved_at"]
    assert prepared.values["status"].to_list() == ["resolved", "resolved"]


def test_synthetic_frame_is_seeded_and_valid() -> None:
    a = logic.synthetic_feedback_frame(1000, seed=3)
    assert a.equals(logic.synthetic_feedback_frame(1000, seed=3))
    plan = logic.plan_columns(a.columns, ImportKind.FEEDBACK)
    prepared = logic.prepare(a.with_row_index(ROW, offset=2), plan, ParseContext())
    assert prepared.errors.height == 0
