"""Pure rules of imports: headers, encodings, separators, and the parsing and validation of rows.

Everything here works on whole columns (polars), never row by row in Python: an import of a million
rows spends its time in the database, not here. Each parser returns the parsed column and a column
of reasons (null where the value is fine), so that every rejected row names its field and why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

import numpy as np
import polars as pl

from pulso.feedback.enums import FeedbackSource, ImportKind
from pulso.interactions.enums import Channel, InteractionStatus
from pulso.kit.errors import ValidationFailed

T = TypeVar("T")

ROW = "__row"  # the row number as the user sees it in the file (header = row 1)


class UnusableFile(ValidationFailed):
    """The file as a whole cannot be imported: unknown format, missing required column, bad mapping."""

    code = "unusable_file"


# --- headers -----------------------------------------------------------------------------------

_STOPWORDS: Final = frozenset({"de", "del", "la", "el", "los", "las", "the", "of", "a", "en", "to"})


def normalize_header(name: str) -> str:
    """Lower case, no accents, words joined by "_": "Fecha de Respuesta" → "fecha_de_respuesta"."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _header_key(name: str) -> str:
    """The form headers are matched on: normalised, without small words ("fecha_de_x" = "fecha_x")."""
    words = [w for w in normalize_header(name).split("_") if w and w not in _STOPWORDS]
    return "_".join(words)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A canonical field of an import: how it is parsed and which headers name it."""

    name: str
    type: str  # text | int | datetime | channel | feedback_source | status | bool | language | email | ref
    aliases: tuple[str, ...] = ()
    required: bool = False
    low: int | None = None
    high: int | None = None
    max_length: int | None = None


_REF = ("customer", "interaction", "touchpoint", "agent", "team", "product")

_COMMON: Final = {
    "customer": FieldSpec(
        "customer",
        "ref",
        (
            "cliente",
            "customer",
            "customer_id",
            "id_cliente",
            "cliente_id",
            "numero_cliente",
            "num_cliente",
            "codigo_cliente",
            "client",
            "client_id",
            "customer_external_id",
            "customer_number",
        ),
        max_length=128,
    ),
    "agent": FieldSpec(
        "agent",
        "ref",
        (
            "agente",
            "agent",
            "agent_id",
            "agent_code",
            "agent_email",
            "id_agente",
            "codigo_agente",
            "asesor",
            "ejecutivo",
            "assignee",
        ),
        max_length=254,
    ),
    "team": FieldSpec("team", "ref", ("equipo", "team", "team_name", "team_code", "grupo", "group"), max_length=120),
    "touchpoint": FieldSpec(
        "touchpoint",
        "ref",
        ("punto_contacto", "touchpoint", "touchpoint_code", "touch_point", "codigo_punto_contacto"),
        max_length=64,
    ),
    "product": FieldSpec(
        "product",
        "ref",
        ("producto", "product", "sku", "product_sku", "codigo_producto", "product_code"),
        max_length=64,
    ),
    "channel": FieldSpec("channel", "channel", ("canal", "channel", "medio", "via")),
}

FEEDBACK_FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec(
        "external_id",
        "text",
        (
            "id",
            "external_id",
            "id_externo",
            "id_respuesta",
            "respuesta_id",
            "response_id",
            "feedback_id",
            "id_feedback",
            "record_id",
            "folio",
            "identificador",
        ),
        max_length=128,
    ),
    FieldSpec("source", "feedback_source", ("source", "fuente", "origen", "tipo_fuente")),
    FieldSpec(
        "received_at",
        "datetime",
        (
            "fecha",
            "fecha_respuesta",
            "fecha_recepcion",
            "fecha_hora",
            "fecha_creacion",
            "date",
            "datetime",
            "responded_at",
            "received_at",
            "response_date",
            "submitted_at",
            "submission_date",
            "created_at",
            "end_date",
            "timestamp",
        ),
        required=True,
    ),
    _COMMON["customer"],
    FieldSpec(
        "interaction",
        "ref",
        ("interaccion", "interaction", "interaction_id", "id_interaccion", "ticket", "ticket_id", "id_ticket"),
        max_length=128,
    ),
    FieldSpec("interaction_source", "text", ("interaction_source", "fuente_interaccion"), max_length=40),
    _COMMON["touchpoint"],
    _COMMON["agent"],
    _COMMON["team"],
    _COMMON["product"],
    _COMMON["channel"],
    FieldSpec("language", "language", ("idioma", "language", "lang", "lengua", "locale")),
    FieldSpec(
        "nps",
        "int",
        (
            "nps",
            "recomendacion",
            "likelihood_recommend",
            "nps_score",
            "puntuacion_nps",
            "probabilidad_recomendar",
            "recomendaria",
            "net_promoter_score",
        ),
        low=0,
        high=10,
    ),
    FieldSpec(
        "csat",
        "int",
        ("csat", "satisfaccion", "satisfaction", "csat_score", "satisfaccion_general"),
        low=1,
        high=5,
    ),
    FieldSpec(
        "ces",
        "int",
        ("ces", "esfuerzo", "effort", "customer_effort", "customer_effort_score", "ces_score"),
        low=1,
        high=7,
    ),
    FieldSpec(
        "rating",
        "int",
        ("estrellas", "rating", "stars", "star_rating", "calificacion", "valoracion", "puntuacion"),
        low=1,
        high=5,
    ),
    FieldSpec(
        "comment",
        "text",
        (
            "comentario",
            "comentarios",
            "comment",
            "comments",
            "verbatim",
            "texto",
            "text",
            "feedback",
            "opinion",
            "observaciones",
            "mensaje",
            "message",
            "review",
            "resena",
            "review_text",
        ),
    ),
    FieldSpec("extras", "json"),
)

INTERACTION_FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec(
        "external_id",
        "text",
        (
            "id",
            "external_id",
            "id_externo",
            "ticket",
            "ticket_id",
            "id_ticket",
            "numero_ticket",
            "interaction_id",
            "id_interaccion",
            "folio",
        ),
        required=True,
        max_length=128,
    ),
    FieldSpec("source", "text", ("source", "fuente", "origen", "sistema"), max_length=40),
    _COMMON["channel"],
    _COMMON["customer"],
    _COMMON["agent"],
    _COMMON["team"],
    _COMMON["touchpoint"],
    _COMMON["product"],
    FieldSpec("category", "text", ("categoria", "category", "motivo", "tipo", "type", "reason"), max_length=120),
    FieldSpec("status", "status", ("estado", "status", "estatus", "situacion")),
    FieldSpec(
        "opened_at",
        "datetime",
        (
            "fecha_apertura",
            "apertura",
            "opened_at",
            "open_date",
            "created_at",
            "fecha_creacion",
            "fecha",
            "date",
            "fecha_inicio",
            "started_at",
        ),
        required=True,
    ),
    FieldSpec(
        "first_response_at",
        "datetime",
        ("primera_respuesta", "fecha_primera_respuesta", "first_response_at", "first_reply_at", "first_response"),
    ),
    FieldSpec(
        "resolved_at",
        "datetime",
        (
            "fecha_resolucion",
            "resolucion",
            "resuelto_el",
            "resolved_at",
            "solved_at",
            "resolution_date",
            "fecha_cierre",
            "closed_at",
        ),
    ),
    FieldSpec(
        "contacts_to_resolve",
        "int",
        ("contactos", "contactos_para_resolver", "contacts_to_resolve", "numero_contactos", "contacts"),
        low=1,
        high=32767,
    ),
    FieldSpec("extras", "json"),
)

CUSTOMER_FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec(
        "external_id",
        "text",
        (
            "id",
            "external_id",
            "cliente",
            "id_cliente",
            "cliente_id",
            "customer",
            "customer_id",
            "numero_cliente",
            "codigo_cliente",
        ),
        required=True,
        max_length=128,
    ),
    FieldSpec(
        "name",
        "text",
        ("nombre", "name", "nombre_completo", "full_name", "razon_social", "customer_name", "nombre_cliente"),
        max_length=200,
    ),
    FieldSpec("email", "email", ("email", "correo", "correo_electronico", "e_mail", "mail")),
    FieldSpec("segment", "text", ("segmento", "segment", "tipo_cliente"), max_length=64),
    FieldSpec("region", "text", ("region", "zona", "provincia", "territorio"), max_length=64),
    FieldSpec(
        "is_key_account",
        "bool",
        ("cuenta_clave", "is_key_account", "key_account", "cliente_clave", "cuenta_estrategica", "vip"),
    ),
    FieldSpec("attributes", "json"),
)

FIELDS: Final[Mapping[ImportKind, tuple[FieldSpec, ...]]] = {
    ImportKind.FEEDBACK: FEEDBACK_FIELDS,
    ImportKind.INTERACTIONS: INTERACTION_FIELDS,
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
}

# Where a feedback or interaction row keeps the columns that map to no field; customers keep them in
# `attributes`.
EXTRA_FIELD: Final = {
    ImportKind.FEEDBACK: "extras",
    ImportKind.INTERACTIONS: "extras",
    ImportKind.CUSTOMERS: "attributes",
}

SCORE_FIELDS: Final = ("nps", "csat", "ces", "rating", "comment")
IGNORE: Final = frozenset({"ignore", "ignorar", "-"})


@dataclass(frozen=True)
class ColumnPlan:
    """Which source column feeds each canonical field, and which columns become extras."""

    kind: ImportKind
    fields: dict[str, str]  # canonical name → source column
    extras: tuple[str, ...]

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(self.fields)


def plan_columns(headers: Sequence[str], kind: ImportKind, mapping: Mapping[str, str] | None = None) -> ColumnPlan:
    """Match the file's headers to canonical fields; the explicit mapping wins over the built-in names."""
    specs = {s.name: s for s in FIELDS[kind]}
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    listed = ", ".join(f"'{h}'" for h in headers)
    for source, target in (mapping or {}).items():
        column = _find_header(source, headers)
        if column is None:
            raise UnusableFile(
                f"mapping: column '{source}' is not in the file; its columns are: {listed} / "
                f"la columna '{source}' no está en el archivo; sus columnas son: {listed}"
            )
        taken.add(column)
        name = target.strip()
        if name.lower() in IGNORE:
            continue
        name = _field_named(name, specs.values())
        if name not in specs:
            names = ", ".join(specs)
            raise UnusableFile(
                f"mapping: '{name}' is not a field of a {kind} import; use one of: {names}, or 'ignore' / "
                f"'{name}' no es un campo de una importación de {kind}"
            )
        if name in chosen:
            raise UnusableFile(
                f"mapping: columns '{chosen[name]}' and '{column}' both map to {name} / "
                f"ambas columnas se asignan a {name}"
            )
        chosen[name] = column
    by_key = {_header_key(h): h for h in reversed(headers)}
    for spec in specs.values():
        if spec.name in chosen:
            continue
        for alias in (spec.name, *spec.aliases):
            column = by_key.get(_header_key(alias))
            if column is not None and column not in taken:
                chosen[spec.name] = column
                taken.add(column)
                break
    for spec in specs.values():
        if spec.required and spec.name not in chosen:
            raise UnusableFile(
                f"required column missing: {spec.name} (e.g. {', '.join(spec.aliases[:4])}); "
                f'the file\'s columns are: {listed} — use --map "<column>={spec.name}" / '
                f"falta la columna obligatoria {spec.name}; las columnas del archivo son: {listed}"
            )
    if kind is ImportKind.FEEDBACK and not any(f in chosen for f in SCORE_FIELDS):
        raise UnusableFile(
            f"no score or comment column (nps, csat, ces, rating, comment); the file's columns are: {listed} / "
            f"no hay columna de puntuación ni de comentario; las columnas del archivo son: {listed}"
        )
    extras = tuple(h for h in headers if h not in taken and h != ROW)
    return ColumnPlan(kind, chosen, extras)


def _field_named(name: str, specs: Iterable[FieldSpec]) -> str:
    """The canonical field a mapping's target names: "nps", but also "Fecha" or "recomendación"."""
    key = _header_key(name)
    for spec in specs:
        if key in {_header_key(spec.name), *(_header_key(a) for a in spec.aliases)}:
            return spec.name
    return name


def _find_header(name: str, headers: Sequence[str]) -> str | None:
    if name in headers:
        return name
    key = _header_key(name)
    return next((h for h in headers if _header_key(h) == key), None)


# --- encodings and separators ------------------------------------------------------------------


def sniff_encoding(sample: bytes) -> str:
    """utf-8 (with or without BOM) when the bytes decode strictly as UTF-8, utf-16 by BOM, else cp1252."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A sample cut in the middle of a multi-byte character is still UTF-8.
        if exc.start < len(sample) - 3 or exc.reason != "unexpected end of data":
            return "cp1252"
    return "utf-8"


def sniff_separator(header_line: str) -> str:
    """The separator the header line uses most, outside quotes: ',', ';', tab or '|'."""
    counts = dict.fromkeys((",", ";", "\t", "|"), 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] > 0 else ","


def parse_separator(value: str) -> str:
    """`--separator` as typed on a command line: ';', ',', 'tab' or '\\t', '|'."""
    lowered = value.lower()
    if lowered in {"tab", "\\t", "\t", "tabulador"}:
        return "\t"
    if lowered in {"comma", "coma"}:
        return ","
    if lowered in {"semicolon", "punto y coma", "puntoycoma"}:
        return ";"
    if len(value) != 1:
        raise UnusableFile(f"separator: {value!r} is not one character / no es un solo carácter")
    return value


# --- values ------------------------------------------------------------------------------------


def normalize_value(text: str) -> str:
    """The form enumerated values are matched on: "Correo Electrónico" → "correo electronico"."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _aliases(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value, names in table.items():
        out[normalize_value(value)] = value
        for name in names:
            out[normalize_value(name)] = value
    return out


CHANNEL_ALIASES: Final = _aliases(
    {
        Channel.WEB: ("sitio web", "pagina web", "website", "internet", "online", "en linea", "portal"),
        Channel.APP: ("aplicacion", "app movil", "movil", "mobile", "mobile app", "aplicacion movil"),
        Channel.PHONE: ("telefono", "llamada", "call", "voz", "voice", "call center", "centro de llamadas", "tel"),
        Channel.EMAIL: ("correo", "correo electronico", "e mail", "mail", "email"),
        Channel.CHAT: ("chat en vivo", "live chat", "chat web", "chatbot"),
        Channel.WHATSAPP: ("wa", "whats app", "whatsapp business"),
        Channel.STORE: ("tienda", "sucursal", "presencial", "oficina", "in store", "branch", "mostrador"),
        Channel.SOCIAL: ("redes sociales", "red social", "social media", "twitter", "x", "facebook", "instagram"),
        Channel.OTHER: ("otro", "otros", "others"),
    }
)

SOURCE_ALIASES: Final = _aliases(
    {
        FeedbackSource.SURVEY: ("encuesta", "encuestas", "surveys"),
        FeedbackSource.REVIEW: ("resena", "resenas", "opinion", "reviews"),
        FeedbackSource.COMPLAINT: ("queja", "quejas", "reclamo", "reclamos", "reclamacion", "complaints"),
        FeedbackSource.SOCIAL: ("redes sociales", "red social", "social media"),
        FeedbackSource.CHAT: ("conversacion",),
        FeedbackSource.IMPORT: ("importacion", "importado"),
        FeedbackSource.API: (),
    }
)

STATUS_ALIASES: Final = _aliases(
    {
        InteractionStatus.OPEN: ("abierto", "abierta", "nuevo", "nueva", "new", "opened"),
        InteractionStatus.PENDING: ("pendiente", "en espera", "en proceso", "on hold", "in progress", "waiting"),
        InteractionStatus.RESOLVED: ("resuelto", "resuelta", "solucionado", "solucionada", "solved"),
        InteractionStatus.CLOSED: ("cerrado", "cerrada", "closed", "finalizado", "finalizada"),
    }
)

LANGUAGE_ALIASES: Final = _aliases(
    {
        "es": ("espanol", "spanish", "castellano", "spa", "esp"),
        "en": ("ingles", "english", "eng"),
        "pt": ("portugues", "portuguese", "por"),
        "fr": ("frances", "french", "fra"),
        "ca": ("catalan", "cat"),
        "de": ("aleman", "german", "deu"),
        "it": ("italiano", "italian", "ita"),
    }
)

_TRUE: Final = frozenset({"si", "s", "yes", "y", "true", "verdadero", "1", "x", "v", "t", "cierto"})
_FALSE: Final = frozenset({"no", "n", "false", "falso", "0", "f"})


def as_text(s: pl.Series) -> pl.Series:
    """Any column as trimmed text, empty cells as null; whole floats (Excel's numbers) without ".0"."""
    dtype = s.dtype
    if dtype == pl.String:
        out = s.str.strip_chars()
    elif dtype.is_float():
        whole = s.is_not_null() & s.is_finite() & (s == s.floor()) & (s.abs() < 2**53)
        out = (
            pl.select(pl.when(whole).then(s.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(s.cast(pl.String)))
            .to_series()
            .alias(s.name)
        )
    elif isinstance(dtype, pl.Datetime):
        fmt = "%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else "")
        out = s.dt.strftime(fmt)
    elif dtype == pl.Date:
        out = s.dt.strftime("%Y-%m-%d")
    elif dtype == pl.Boolean:
        out = pl.select(pl.when(s).then(pl.lit("true")).otherwise(pl.lit("false"))).to_series().alias(s.name)
        out = pl.select(pl.when(s.is_null()).then(None).otherwise(out)).to_series().alias(s.name)
    elif dtype.is_nested():
        out = pl.select(pl.struct(s).struct.json_encode()).to_series()
        out = out.str.slice(len(s.name) + 4).str.head(-1).alias(s.name)  # strip '{"name":' and '}'
    elif dtype == pl.Null:
        out = pl.Series(s.name, [None] * s.len(), dtype=pl.String)
    else:
        out = s.cast(pl.String)
    return pl.select(pl.when(out.str.len_bytes() > 0).then(out)).to_series().alias(s.name)


@dataclass(frozen=True)
class ParseContext:
    """What parsing needs to know beyond the data: the organisation's time zone and date order."""

    timezone: str = "UTC"
    dayfirst: bool = True
    default_source: str = FeedbackSource.IMPORT.value
    interaction_source: str = "import"


def _reason(condition: pl.Series, template: pl.Expr | str) -> pl.Series:
    expr = template if isinstance(template, pl.Expr) else pl.lit(template)
    return pl.select(pl.when(condition).then(expr)).to_series()


def _first_reason(*reasons: pl.Series) -> pl.Series:
    return pl.select(pl.coalesce(*reasons)).to_series() if reasons else pl.Series([], dtype=pl.String)


@dataclass
class Parsed:
    """The parsed values of one field and, row by row, why a value was refused (null when fine)."""

    value: pl.Series
    reason: pl.Series


def parse_text(raw: pl.Series, spec: FieldSpec) -> Parsed:
    text = as_text(raw)
    if spec.max_length is None:
        return Parsed(text, pl.Series([None] * text.len(), dtype=pl.String))
    too_long = text.str.len_chars() > spec.max_length
    reason = _reason(
        too_long,
        f"{spec.name}: longer than {spec.max_length} characters / más de {spec.max_length} caracteres",
    )
    return Parsed(pl.select(pl.when(~too_long).then(text)).to_series(), reason)


def to_number(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(number, text): decimal commas accepted ("4,5"), as are Excel's floats."""
    if raw.dtype.is_numeric():
        return raw.cast(pl.Float64), as_text(raw)
    text = as_text(raw)
    number = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return number, text


def parse_int(raw: pl.Series, spec: FieldSpec) -> Parsed:
    number, text = to_number(raw)
    lo, hi = spec.low, spec.high
    name = spec.name
    not_number = text.is_not_null() & (number.is_null() | number.is_nan())
    not_whole = number.is_not_null() & ~not_number & (number != number.floor())
    outside = number.is_not_null() & ~not_number & ~not_whole
    if lo is not None:
        outside = outside & (number < lo) if hi is None else outside & ((number < lo) | (number > hi))
    elif hi is not None:
        outside = outside & (number > hi)
    else:
        outside = outside & False
    shown = pl.lit(text) if text.len() else pl.lit(None, pl.String)
    reason = _first_reason(
        _reason(not_number, pl.concat_str(pl.lit(f"{name}: '"), shown, pl.lit("' is not a number / no es un número"))),
        _reason(
            not_whole,
            pl.concat_str(pl.lit(f"{name}: "), shown, pl.lit(" is not a whole number / no es un número entero")),
        ),
        _reason(
            outside,
            pl.concat_str(pl.lit(f"{name}: "), shown, pl.lit(f" is outside {lo}–{hi} / fuera de {lo}–{hi}")),
        ),
    )
    value = pl.select(pl.when(reason.is_null()).then(number.cast(pl.Int64, strict=False))).to_series()
    return Parsed(value, reason)


def _map_distinct(text: pl.Series, convert: Callable[[str], str | None]) -> pl.Series:
    """Apply `convert` to each distinct value only: a column of a million cells has a dozen channels."""
    mapping = {value: convert(value) for value in text.drop_nulls().unique().to_list()}
    return text.replace_strict(mapping, default=None, return_dtype=pl.String)


def parse_enum(raw: pl.Series, spec: FieldSpec, aliases: Mapping[str, str], what: str) -> Parsed:
    text = as_text(raw)
    value = _map_distinct(text, lambda v: aliases.get(normalize_value(v)))
    known = ", ".join(sorted(set(aliases.values())))
    reason = _reason(
        text.is_not_null() & value.is_null(),
        pl.concat_str(
            pl.lit(f"{spec.name}: '"),
            pl.lit(text),
            pl.lit(f"' is not a known {what} ({known}) / no es un valor conocido"),
        ),
    )
    return Parsed(value, reason)


def parse_bool(raw: pl.Series, spec: FieldSpec) -> Parsed:
    if raw.dtype == pl.Boolean:
        return Parsed(raw.fill_null(False), pl.Series([None] * raw.len(), dtype=pl.String))
    text = as_text(raw)

    def convert(value: str) -> str | None:
        key = normalize_value(value)
        return "1" if key in _TRUE else "0" if key in _FALSE else None

    flag = _map_distinct(text, convert)
    reason = _reason(
        text.is_not_null() & flag.is_null(),
        pl.concat_str(
            pl.lit(f"{spec.name}: '"),
            pl.lit(text),
            pl.lit("' is not yes/no (sí/no, true/false, 1/0, x) / no es sí o no"),
        ),
    )
    return Parsed((flag == "1").fill_null(False), reason)


_LANGUAGE_TAG: Final = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,4}))?$")


def language_code(value: str) -> str | None:
    """ "Español" → "es", "en_US" → "en-US"; None when it names no language."""
    named = LANGUAGE_ALIASES.get(normalize_value(value))
    if named is not None:
        return named
    match = _LANGUAGE_TAG.match(value.strip())
    if match is None:
        return None
    primary, region = match.group(1).lower(), match.group(2)
    return f"{primary}-{region.upper()}" if region else primary


def parse_language(raw: pl.Series, spec: FieldSpec) -> Parsed:
    text = as_text(raw)
    value = _map_distinct(text, language_code)
    reason = _reason(
        text.is_not_null() & value.is_null(),
        pl.concat_str(
            pl.lit(f"{spec.name}: '"),
            pl.lit(text),
            pl.lit("' is not a language code such as es or en / no es un idioma"),
        ),
    )
    return Parsed(value, reason)


def parse_email(raw: pl.Series, spec: FieldSpec) -> Parsed:
    text = as_text(raw).str.to_lowercase()
    bad = text.is_not_null() & (~text.str.contains(r"^[^@\s]+@[^@\s]+$") | (text.str.len_chars() > 254))
    reason = _reason(
        bad,
        pl.concat_str(pl.lit(f"{spec.name}: '"), pl.lit(text), pl.lit("' is not an e-mail address / no es un correo")),
    )
    return Parsed(pl.select(pl.when(~bad).then(text)).to_series(), reason)


_ISO_FORMATS: Final = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_DMY_FORMATS: Final = (
    "%d/%m/%Y %H:%M:%S%.f",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
)
_OFFSET = r"(?:Z|z|UTC|[+-]\d{2}(?::?\d{2})?)"


def _naive_datetimes(text: pl.Series, dayfirst: bool) -> pl.Series:
    """Try each known format, each on the rows no earlier format could read, likeliest first."""

    def iso(t: pl.Series) -> pl.Series:
        return t.str.replace(r"^(\d{4}-\d{2}-\d{2})[Tt]", "$1 ")

    def slashed(t: pl.Series) -> pl.Series:  # dd-mm-yyyy and dd.mm.yyyy are read as dd/mm/yyyy
        return t.str.replace(r"^(\d{1,2})[.-](\d{1,2})[.-](\d{4})", "$1/$2/$3")

    slash_formats = _DMY_FORMATS if dayfirst else tuple(f.replace("%d/%m", "%m/%d") for f in _DMY_FORMATS)
    attempts = [(iso, f) for f in _ISO_FORMATS] + [(slashed, f) for f in slash_formats]
    sample = text.drop_nulls().gather_every(max(1, text.len() // 200)).head(200)
    hits = [
        int(fix(sample).str.strptime(pl.Datetime("us"), f, strict=False).is_not_null().sum()) for fix, f in attempts
    ]
    attempts = [a for _, a in sorted(zip(hits, attempts, strict=True), key=lambda p: -p[0])]
    result = pl.Series(text.name, [None] * text.len(), dtype=pl.Datetime("us"))
    pending = text.is_not_null()
    for fix, fmt in attempts:
        index = pending.arg_true()
        if index.len() == 0:
            break
        parsed = fix(text.gather(index)).str.strptime(pl.Datetime("us"), fmt, strict=False)
        found = parsed.is_not_null()
        if found.any():
            result = result.scatter(index.filter(found), parsed.filter(found))
            pending = pending.scatter(index.filter(found), False)
    return result


def parse_datetime(raw: pl.Series, spec: FieldSpec, ctx: ParseContext) -> Parsed:
    """ISO 8601 (offset optional) or dd/mm/yyyy[ hh:mm[:ss]]; naive times are in the organisation's zone."""
    name = spec.name
    if isinstance(raw.dtype, pl.Datetime) or raw.dtype == pl.Date:
        stamp = raw.cast(pl.Datetime("us", raw.dtype.time_zone if isinstance(raw.dtype, pl.Datetime) else None))
        if isinstance(stamp.dtype, pl.Datetime) and stamp.dtype.time_zone is not None:
            utc = stamp.dt.convert_time_zone("UTC")
        else:
            utc = stamp.dt.replace_time_zone(
                ctx.timezone, ambiguous="earliest", non_existent="null"
            ).dt.convert_time_zone("UTC")
        reason = _reason(
            raw.is_not_null() & utc.is_null(),
            f"{name}: this local time does not exist in {ctx.timezone} / esta hora no existe en {ctx.timezone}",
        )
        return Parsed(utc, reason)
    text = as_text(raw)
    parts = text.str.extract_groups(
        rf"^(.*?\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?(?:\s*[AaPp][Mm])?)\s*({_OFFSET})$"
    )
    has_offset = parts.struct.field("2").is_not_null()
    local_text = pl.select(
        pl.when(has_offset)
        .then(parts.struct.field("1"))
        .otherwise(text)
        .str.replace(r"(\d{2}:\d{2}:\d{2}),(\d)", "$1.$2")
    ).to_series()
    naive = _naive_datetimes(local_text, ctx.dayfirst)
    offset = parts.struct.field("2").str.replace_all(":", "")
    sign = pl.select(pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)).to_series()
    hours = offset.str.slice(1, 2).cast(pl.Int64, strict=False).fill_null(0)
    minutes = offset.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    offset_minutes = sign * (hours * 60 + minutes)
    from_offset = (naive - pl.select(pl.duration(minutes=pl.lit(offset_minutes))).to_series()).dt.replace_time_zone(
        "UTC"
    )
    from_local = naive.dt.replace_time_zone(
        ctx.timezone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")
    utc = pl.select(pl.when(has_offset).then(from_offset).otherwise(from_local)).to_series()
    order = "dd/mm/yyyy" if ctx.dayfirst else "mm/dd/yyyy"
    reason = _first_reason(
        _reason(
            text.is_not_null() & naive.is_null(),
            pl.concat_str(
                pl.lit(f"{name}: '"),
                pl.lit(text),
                pl.lit(
                    f"' is not a date (use ISO 8601 or {order}[ hh:mm[:ss]]) / no es una fecha (use ISO 8601 o {order})"
                ),
            ),
        ),
        _reason(
            naive.is_not_null() & utc.is_null(),
            pl.concat_str(
                pl.lit(f"{name}: '"),
                pl.lit(text),
                pl.lit(f"' does not exist in {ctx.timezone} (clock change) / no existe en {ctx.timezone}"),
            ),
        ),
    )
    return Parsed(utc.dt.cast_time_unit("us"), reason)


def parse_json_object(raw: pl.Series) -> pl.Series:
    """A column already holding JSON objects (text) or structs, as compact JSON text."""
    if raw.dtype == pl.String:
        return raw
    if isinstance(raw.dtype, pl.Struct):
        return raw.struct.json_encode()
    return raw.cast(pl.String)


def extras_json(frame: pl.DataFrame, columns: Sequence[str], base: pl.Series | None = None) -> pl.Series:
    """The unmapped columns of each row as a JSON object (empty cells left out), merged onto `base`."""
    pieces: list[pl.Series] = []
    for column in columns:
        text = as_text(frame[column]).alias(column)
        encoded = pl.select(pl.struct(text).struct.json_encode()).to_series()
        member = encoded.str.slice(1).str.head(-1)  # '"column":"value"'
        pieces.append(pl.select(pl.when(text.is_not_null()).then(member)).to_series())
    members = (
        pl.select(pl.concat_str(pieces, separator=",", ignore_nulls=True)).to_series()
        if pieces
        else pl.Series([""] * frame.height, dtype=pl.String)
    )
    if base is not None:
        inner = base.fill_null("{}").str.strip_chars().str.slice(1).str.head(-1).str.strip_chars()
        members = pl.select(
            pl.concat_str(
                [pl.when(inner != "").then(inner), pl.when(members != "").then(members)],
                separator=",",
                ignore_nulls=True,
            )
        ).to_series()
    return pl.select(pl.concat_str(pl.lit("{"), members.fill_null(""), pl.lit("}"))).to_series().alias("extras")


# --- a whole frame -----------------------------------------------------------------------------


@dataclass
class Prepared:
    """A parsed frame: ROW, the canonical fields present (refs still as codes), and the reasons."""

    values: pl.DataFrame
    errors: pl.DataFrame  # row, field, reason, value
    present: tuple[str, ...]


ERROR_SCHEMA: Final = {"row": pl.Int64, "field": pl.String, "reason": pl.String, "value": pl.String}


def _errors(rows: pl.Series, field_name: str | None, reason: pl.Series, value: pl.Series) -> pl.DataFrame:
    refused = reason.is_not_null()
    if not refused.any():
        return pl.DataFrame(schema=ERROR_SCHEMA)
    rows, reason, value = rows.filter(refused), reason.filter(refused), value.filter(refused)
    return pl.DataFrame(
        {
            "row": rows.cast(pl.Int64),
            "field": pl.Series([field_name] * rows.len(), dtype=pl.String),
            "reason": reason.cast(pl.String),
            "value": as_text(value),
        }
    )


def prepare(frame: pl.DataFrame, plan: ColumnPlan, ctx: ParseContext) -> Prepared:
    """Parse every planned column, build extras, and collect each refused value with its reason."""
    specs = {s.name: s for s in FIELDS[plan.kind]}
    rows = frame[ROW]
    values: dict[str, pl.Series] = {ROW: rows}
    errors: list[pl.DataFrame] = []
    for name, column in plan.fields.items():
        spec = specs[name]
        raw = frame[column]
        if spec.type == "json":
            continue
        if spec.type == "int":
            parsed = parse_int(raw, spec)
        elif spec.type == "datetime":
            parsed = parse_datetime(raw, spec, ctx)
        elif spec.type == "channel":
            parsed = parse_enum(raw, spec, CHANNEL_ALIASES, "channel")
        elif spec.type == "feedback_source":
            parsed = parse_enum(raw, spec, SOURCE_ALIASES, "source")
        elif spec.type == "status":
            parsed = parse_enum(raw, spec, STATUS_ALIASES, "status")
        elif spec.type == "bool":
            parsed = parse_bool(raw, spec)
        elif spec.type == "language":
            parsed = parse_language(raw, spec)
        elif spec.type == "email":
            parsed = parse_email(raw, spec)
        else:
            parsed = parse_text(raw, spec)
        if spec.required:
            empty = as_text(raw).is_null() if raw.dtype == pl.String else raw.is_null()
            missing = _reason(empty, f"{name}: required, but empty / obligatorio, pero vacío")
            parsed.reason = _first_reason(missing, parsed.reason)
        values[name] = parsed.value.alias(name)
        errors.append(_errors(rows, name, parsed.reason, raw))
    extra_field = EXTRA_FIELD[plan.kind]
    base = parse_json_object(frame[plan.fields[extra_field]]) if extra_field in plan.fields else None
    if plan.extras or base is not None:
        values[extra_field] = extras_json(frame, plan.extras, base).alias(extra_field)
    present = tuple(n for n in values if n != ROW)
    out = pl.DataFrame(values)
    if plan.kind is ImportKind.FEEDBACK:
        out, more = _feedback_rules(out, ctx, errors)
        errors.extend(more)
    elif plan.kind is ImportKind.INTERACTIONS:
        out, more = _interaction_rules(out, ctx)
        errors.extend(more)
    all_errors = pl.concat(errors) if errors else pl.DataFrame(schema=ERROR_SCHEMA)
    return Prepared(out, all_errors, present)


def _feedback_rules(
    values: pl.DataFrame, ctx: ParseContext, found: Sequence[pl.DataFrame]
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    errors: list[pl.DataFrame] = []
    scores = [c for c in SCORE_FIELDS if c in values.columns]
    # A refused score already explains the row; "nothing given" is for rows that really gave nothing.
    refused = pl.concat([pl.DataFrame(schema=ERROR_SCHEMA), *found]).filter(pl.col("field").is_in(scores))["row"]
    nothing = pl.all_horizontal(pl.col(c).is_null() for c in scores) & ~pl.col(ROW).is_in(refused.implode())
    empty = values.select(nothing).to_series()
    errors.append(
        _errors(
            values[ROW],
            "/".join(scores),
            _reason(empty, "no score and no comment / sin puntuación ni comentario"),
            pl.Series([None] * values.height, dtype=pl.String),
        )
    )
    if "source" not in values.columns:
        values = values.with_columns(source=pl.lit(ctx.default_source))
    else:
        values = values.with_columns(pl.col("source").fill_null(ctx.default_source))
    if "interaction" in values.columns:
        if "interaction_source" not in values.columns:
            values = values.with_columns(interaction_source=pl.lit(ctx.interaction_source))
        else:
            values = values.with_columns(pl.col("interaction_source").fill_null(ctx.interaction_source))
    return _with_content_ids(values), errors


# Fields whose normalised values identify a row that came without an external id.
_CONTENT: Final = (
    "received_at",
    "customer",
    "interaction",
    "touchpoint",
    "agent",
    "team",
    "product",
    "channel",
    "language",
    "nps",
    "csat",
    "ces",
    "rating",
    "comment",
    "extras",
)


def _with_content_ids(values: pl.DataFrame) -> pl.DataFrame:
    """Rows without an external id get a stable one: a hash of their normalised content.

    Identical rows in one file are told apart by their order ("#2", "#3"...), so importing the same
    file again gives every row the same id as before, and nothing changes.
    """
    if "external_id" in values.columns and values["external_id"].null_count() == 0:
        return values
    present = [c for c in _CONTENT if c in values.columns]
    parts = [pl.col(c).cast(pl.String).fill_null("\u2400") for c in present]
    if "received_at" in values.columns:
        parts[present.index("received_at")] = (
            pl.col("received_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f").fill_null("\u2400")
        )
    content = values.select(pl.concat_str(parts, separator="\u241f").alias("c")).to_series()
    digest = content_digest(content)
    occurrence = pl.DataFrame({"d": digest}).select(pl.col("d").cum_count().over("d")).to_series()
    generated = pl.select(
        pl.when(occurrence > 1)
        .then(pl.concat_str(pl.lit("h-"), pl.lit(digest), pl.lit("#"), pl.lit(occurrence.cast(pl.String))))
        .otherwise(pl.concat_str(pl.lit("h-"), pl.lit(digest)))
    ).to_series()
    if "external_id" in values.columns:
        return values.with_columns(external_id=pl.coalesce(pl.col("external_id"), pl.lit(generated)))
    return values.with_columns(external_id=generated)


def content_digest(content: pl.Series) -> pl.Series:
    """MD5 of each text, in hex: stable across versions and machines (polars' own hash is not)."""
    import duckdb

    con = duckdb.connect()
    try:
        frame = pl.DataFrame({"c": content})
        con.register("content", frame)
        result = con.sql("SELECT md5(c) AS d FROM content").pl()
    finally:
        con.close()
    digest: pl.Series = result.to_series().alias("d")
    return digest


def _interaction_rules(values: pl.DataFrame, ctx: ParseContext) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    errors: list[pl.DataFrame] = []
    if "source" not in values.columns:
        values = values.with_columns(source=pl.lit(ctx.default_source))
    else:
        values = values.with_columns(pl.col("source").fill_null(ctx.default_source))
    for later, label in (("first_response_at", "first response"), ("resolved_at", "resolution")):
        if later not in values.columns:
            continue
        before = values.select((pl.col(later) < pl.col("opened_at")).fill_null(False)).to_series()
        text = values[later].dt.strftime("%Y-%m-%d %H:%M:%S UTC")
        errors.append(
            _errors(
                values[ROW],
                later,
                _reason(
                    before,
                    f"{later}: the {label} is before opened_at / es anterior a la apertura (opened_at)",
                ),
                text,
            )
        )
    if "status" in values.columns or "resolved_at" in values.columns:
        derived = pl.lit(InteractionStatus.OPEN.value)
        if "resolved_at" in values.columns:
            derived = (
                pl.when(pl.col("resolved_at").is_not_null())
                .then(pl.lit(InteractionStatus.RESOLVED.value))
                .otherwise(derived)
            )
        status = pl.col("status") if "status" in values.columns else pl.lit(None, pl.String)
        values = values.with_columns(status=pl.coalesce(status, derived))
    return values, errors


def resolve_reference(
    values: pl.DataFrame,
    field_name: str,
    lookup: pl.DataFrame,
    *,
    scope: str | None = None,
    case_insensitive: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add `<field>_id`, the id the code in `field` names, and an error for each unknown code.

    `lookup` has columns key and id, and also `scope` when codes are unique only within it (an
    interaction's id within its source): then the row's `scope` column must match too.
    """
    id_column = f"{field_name}_id"
    if field_name not in values.columns:
        return values, pl.DataFrame(schema=ERROR_SCHEMA)
    scoped = [scope] if scope else []

    def key(column: str) -> pl.Expr:
        return (pl.col(column).str.to_lowercase() if case_insensitive else pl.col(column)).alias("__key")

    table = lookup.select(key("key"), *scoped, pl.col("id").alias(id_column)).unique(["__key", *scoped], keep="first")
    joined = (
        values.with_columns(key(field_name))
        .join(table, on=["__key", *scoped], how="left", maintain_order="left")
        .drop("__key")
    )
    unknown = joined[field_name].is_not_null() & joined[id_column].is_null()
    errors = _errors(
        joined[ROW],
        field_name,
        _reason(
            unknown,
            pl.concat_str(pl.lit(f"{field_name}: '"), pl.lit(joined[field_name]), pl.lit("' not found / no existe")),
        ),
        joined[field_name],
    )
    return joined, errors


def reject_duplicates(values: pl.DataFrame, errors: pl.DataFrame, key: Sequence[str]) -> pl.DataFrame:
    """Errors for valid rows repeating the key of an earlier valid row (the first one is kept)."""
    bad = errors["row"].unique()
    valid = values.filter(~pl.col(ROW).is_in(bad.implode())).select(ROW, *key)
    # One hashing pass finds the (usually no) repeated keys; only those are grouped.
    valid = valid.filter(pl.struct(list(key)).is_duplicated())
    first = valid.group_by(list(key), maintain_order=True).agg(pl.col(ROW).first().alias("__first"))
    repeated = valid.join(first, on=list(key), how="left").filter(pl.col(ROW) != pl.col("__first"))
    if repeated.height == 0:
        return pl.DataFrame(schema=ERROR_SCHEMA)
    ext = repeated["external_id"]
    reason = pl.concat_str(
        pl.lit("external_id: '"),
        pl.lit(ext),
        pl.lit("' repeated; first at row "),
        pl.lit(repeated["__first"].cast(pl.String)),
        pl.lit(" / repetido; primero en la fila "),
        pl.lit(repeated["__first"].cast(pl.String)),
    )
    return pl.DataFrame(
        {
            "row": repeated[ROW],
            "field": pl.Series(["external_id"] * repeated.height, dtype=pl.String),
            "reason": pl.select(reason).to_series(),
            "value": ext,
        }
    ).cast(ERROR_SCHEMA)  # type: ignore[arg-type]


# --- a synthetic file, for tests and the benchmark ---------------------------------------------

_COMMENTS_ES: Final = (
    "Muy buena atención, resolvieron mi problema a la primera",
    "Tardaron demasiado en contestar el teléfono",
    "El producto llegó dañado y nadie me da solución",
    "Excelente servicio, el agente fue muy amable",
    "Me cobraron dos veces, pésima experiencia",
    "La aplicación se cierra cuando intento pagar",
    "Todo bien, gracias",
    "No me devolvieron el dinero todavía",
    "El envío llegó antes de lo esperado",
    "Tuve que llamar tres veces para lo mismo",
)
_COMMENTS_EN: Final = (
    "Great service, solved on the first call",
    "Waited forty minutes on hold",
    "The package arrived damaged",
    "Friendly agent, quick answer",
    "I was charged twice and nobody helps",
)
_CHANNELS_ES: Final = ("web", "app", "teléfono", "correo", "chat", "whatsapp", "tienda", "redes sociales")


@dataclass(frozen=True)
class SyntheticCatalog:
    """Codes a synthetic file may name; empty means that column is left out."""

    touchpoints: Sequence[str] = ()
    agents: Sequence[str] = ()
    teams: Sequence[str] = ()
    products: Sequence[str] = ()
    customers: int = 50_000
    extras: bool = field(default=True)


def synthetic_feedback_frame(n: int, seed: int = 42, catalog: SyntheticCatalog | None = None) -> pl.DataFrame:
    """N survey answers as a Spanish CSV export would hold them: text cells, dd/mm/yyyy hh:mm dates,
    sequential ids, time-ordered, NPS/CSAT/CES with realistic gaps and a comment on 40 % of rows."""
    catalog = catalog or SyntheticCatalog()
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00", "m").astype(np.int64)
    minutes = np.sort(rng.integers(0, 365 * 24 * 60, n)) + start
    stamps = pl.Series(minutes * 60_000_000).cast(pl.Datetime("us"))
    latent = rng.normal(0, 1, n)
    nps = np.clip(np.round(7.6 + 2.2 * latent), 0, 10).astype(np.int64)
    csat = np.clip(np.round(3.9 + 0.9 * latent + rng.normal(0, 0.5, n)), 1, 5).astype(np.int64)
    ces = np.clip(np.round(2.8 - 1.0 * latent + rng.normal(0, 0.8, n)), 1, 7).astype(np.int64)
    spanish = rng.random(n) < 0.8
    comments = np.array(_COMMENTS_ES, dtype=object)[rng.integers(0, len(_COMMENTS_ES), n)]
    comments_en = np.array(_COMMENTS_EN, dtype=object)[rng.integers(0, len(_COMMENTS_EN), n)]
    comment = np.where(spanish, comments, comments_en)
    data: dict[str, pl.Series] = {
        "ID": pl.Series(np.arange(1, n + 1)).cast(pl.String).str.pad_start(9, "0").str.replace(r"^", "R"),
        "Fecha": stamps.dt.strftime("%d/%m/%Y %H:%M"),
        "Cliente": pl.Series(rng.integers(1, catalog.customers + 1, n)).cast(pl.String).str.replace(r"^", "C"),
        "Canal": pl.Series(
            np.array(_CHANNELS_ES, dtype=object)[rng.integers(0, len(_CHANNELS_ES), n)], dtype=pl.String
        ),
        "Idioma": pl.Series(np.where(spanish, "es", "en"), dtype=pl.String),
        "NPS": pl.Series(nps).cast(pl.String),
        "CSAT": pl.Series(csat).cast(pl.String),
        "CES": pl.Series(ces).cast(pl.String),
        "Comentario": pl.Series(comment, dtype=pl.String),
    }
    kept = {c: rng.random(n) < p for c, p in (("NPS", 0.85), ("CSAT", 0.65), ("CES", 0.45), ("Comentario", 0.4))}
    kept["NPS"] |= ~(kept["CSAT"] | kept["CES"] | kept["Comentario"])  # every answer has something
    for column, mask in kept.items():
        data[column] = pl.select(pl.when(pl.Series(mask)).then(data[column])).to_series().alias(column)
    for column, codes in (
        ("Punto de contacto", catalog.touchpoints),
        ("Agente", catalog.agents),
        ("Equipo", catalog.teams),
        ("Producto", catalog.products),
    ):
        if codes:
            picks = np.array(list(codes), dtype=object)[rng.integers(0, len(codes), n)]
            data[column] = pl.Series(picks, dtype=pl.String)
    if catalog.extras:
        data["Sucursal"] = pl.Series(rng.integers(1, 60, n)).cast(pl.String).str.replace(r"^", "Suc-")
    return pl.DataFrame(data)


# --- search over comments ----------------------------------------------------------------------
# Comments are stored a second time folded (lower case, no accents, "ñ" as "n"), written by every
# import and by the ORM, so that a search is a plain LIKE on every engine ("atencion" finds
# "Atención") and PostgreSQL can serve it from a trigram index. The query is folded the same way.

_SEARCH_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
MAX_SEARCH_TERMS: Final = 10


def fold_text(text: str) -> str:
    """Lower case without accents or other marks: "Atención AÑO" → "atencion ano"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))


def fold_expr(column: pl.Expr) -> pl.Expr:
    """`fold_text` over a whole column (the same steps, in the same order)."""
    return column.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{M}+", "")


def search_terms(query: str | None) -> list[str]:
    """The folded terms of a search: its words and "quoted phrases"; a comment must hold them all."""
    terms: list[str] = []
    for phrase, word in _SEARCH_TOKEN.findall(query or ""):
        folded = " ".join(fold_text(phrase or word.strip('"')).split())
        if folded and folded not in terms:
            terms.append(folded)
    return terms[:MAX_SEARCH_TERMS]


def matched_characters(text: str, terms: Sequence[str]) -> list[bool]:
    """For each character of `text`, whether an occurrence of a folded term covers it: the term
    "atencion" covers "Atención"."""
    origin: list[int] = []  # for each character of the folded text, the original character it came from
    pieces: list[str] = []
    for index, ch in enumerate(text):
        folded = fold_text(ch)
        pieces.append(folded)
        origin.extend([index] * len(folded))
    folded_text = "".join(pieces)
    marked = [False] * len(text)
    for term in terms:
        start = folded_text.find(term) if term else -1
        while start != -1:
            for position in range(start, start + len(term)):
                marked[origin[position]] = True
            start = folded_text.find(term, start + len(term))
    return marked


def runs(text: str, labels: Sequence[T]) -> list[tuple[str, T]]:
    """`text` cut into (piece, label) where consecutive characters share their label."""
    spans: list[tuple[str, T]] = []
    for ch, label in zip(text, labels, strict=True):
        if spans and spans[-1][1] == label:
            spans[-1] = (spans[-1][0] + ch, label)
        else:
            spans.append((ch, label))
    return spans


def highlight_spans(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_match) so that each occurrence of a folded term is marked in the
    original spelling: the term "atencion" marks "Atención"."""
    return runs(text, matched_characters(text, terms))


# --- how a score reads ---------------------------------------------------------------------------

SCORE_SCALES: Final = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}


def score_tone(kind: str, value: int) -> str:
    """good, warn or bad: NPS promoter/passive/detractor, CSAT 4–5/3/1–2, rating likewise, and CES
    1–3/4/5–7 (CES asks how hard it was: higher is worse)."""
    if kind == "nps":
        return "good" if value >= 9 else "warn" if value >= 7 else "bad"
    if kind == "ces":
        return "good" if value <= 3 else "warn" if value == 4 else "bad"
    return "good" if value >= 4 else "warn" if value == 3 else "bad"


def nps_group(value: int) -> str:
    return "promoter" if value >= 9 else "passive" if value >= 7 else "detractor"
