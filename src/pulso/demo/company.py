"""Casa Nova, the fictional company of the demo: its teams, people, journey and catalogue.

Casa Nova is an omnichannel retailer of home appliances and electronics in Mexico: a web shop, an
app, stores, a phone contact centre, chat, WhatsApp and e-mail. Everything here is static; the
generator turns it into frames and draws the facts around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pulso.accounts.enums import Role, TeamKind
from pulso.interactions.enums import Channel
from pulso.journeys.enums import BlueprintLayer

ORG_NAME = "Casa Nova"
ORG_TIMEZONE = "America/Mexico_City"
EMAIL_DOMAIN = "demo.pulso"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"

CX_DEPARTMENT = "Experiencia del Cliente"
PHONE_TEAM = "Atención telefónica"
CHAT_TEAM = "Chat y WhatsApp"
AFTERSALES_TEAM = "Soporte postventa"
STORES_TEAM = "Tiendas"
# The team whose people "orient" customers on what to score (pattern 4 of the generator).
COACHING_TEAM = AFTERSALES_TEAM

FRICTION_TOUCHPOINT = "TP-WEB-CHECKOUT"
LAUNCH_SKU = "LIC-TX2"
LAUNCH_DAYS_BEFORE_END = 120  # about four months before the last day of data


@dataclass(frozen=True, slots=True)
class TeamSpec:
    name: str
    kind: TeamKind
    code: str
    parent: str | None = None
    agents: int = 0  # service teams only


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(CX_DEPARTMENT, TeamKind.OTHER, "CX"),
    TeamSpec(PHONE_TEAM, TeamKind.SERVICE, "SRV-TEL", CX_DEPARTMENT, agents=18),
    TeamSpec(CHAT_TEAM, TeamKind.SERVICE, "SRV-CHAT", CX_DEPARTMENT, agents=14),
    TeamSpec(AFTERSALES_TEAM, TeamKind.SERVICE, "SRV-POST", CX_DEPARTMENT, agents=8),
    TeamSpec(STORES_TEAM, TeamKind.SERVICE, "SRV-TDA", CX_DEPARTMENT, agents=10),
    TeamSpec("Ventas", TeamKind.SALES, "VTA"),
    TeamSpec("Marketing digital", TeamKind.MARKETING, "MKT"),
    TeamSpec("Producto y e-commerce", TeamKind.PRODUCT, "PRD"),
    TeamSpec("Logística y entregas", TeamKind.LOGISTICS, "LOG"),
    TeamSpec("Facturación y cobros", TeamKind.BILLING, "FAC"),
)

SERVICE_TEAMS: tuple[str, ...] = tuple(t.name for t in TEAMS if t.agents)


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """A member of staff who is not an agent (agents are drawn by the generator)."""

    email: str
    name: str
    role: Role
    team: str | None
    code: str | None = None


STAFF: tuple[PersonSpec, ...] = (
    PersonSpec(ADMIN_EMAIL, "Administración Pulso", Role.ADMIN, None),
    PersonSpec(f"mariana.lopez@{EMAIL_DOMAIN}", "Mariana López Ortega", Role.CX_MANAGER, CX_DEPARTMENT),
    PersonSpec(f"ricardo.salinas@{EMAIL_DOMAIN}", "Ricardo Salinas Vega", Role.CX_MANAGER, CX_DEPARTMENT),
    PersonSpec(f"laura.mendez@{EMAIL_DOMAIN}", "Laura Méndez Ruiz", Role.SUPERVISOR, PHONE_TEAM, "SUP-01"),
    PersonSpec(f"jorge.castro@{EMAIL_DOMAIN}", "Jorge Castro Aguilar", Role.SUPERVISOR, CHAT_TEAM, "SUP-02"),
    PersonSpec(f"patricia.nunez@{EMAIL_DOMAIN}", "Patricia Núñez Solís", Role.SUPERVISOR, AFTERSALES_TEAM, "SUP-03"),
    PersonSpec(f"hector.ibarra@{EMAIL_DOMAIN}", "Héctor Ibarra Luna", Role.SUPERVISOR, STORES_TEAM, "SUP-04"),
    PersonSpec(f"elena.garza@{EMAIL_DOMAIN}", "Elena Garza Treviño", Role.VIEWER, None),
)
"""Admin, the CX manager, the customer-service manager, one supervisor per service team, the CEO."""

FIRST_NAMES = (
    "Alejandro", "Ana", "Andrea", "Carlos", "Carmen", "Daniel", "Diana", "Eduardo", "Fernanda",
    "Gabriel", "Gabriela", "Ismael", "Itzel", "Javier", "José", "Juan", "Karla", "Luis", "Lucía",
    "María", "Mario", "Martha", "Miguel", "Mónica", "Paola", "Pedro", "Rafael", "Regina", "Roberto",
    "Rosa", "Santiago", "Sofía", "Valeria", "Ximena", "Yolanda", "Fernando", "Adriana", "Emilio",
)  # fmt: skip
LAST_NAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero",
    "Álvarez", "Chávez", "Rivera", "Juárez", "Domínguez", "Herrera", "Medina", "Castro", "Vargas",
)  # fmt: skip

STAGES: tuple[tuple[str, str], ...] = (
    ("Descubrimiento", "Discovery"),
    ("Compra", "Purchase"),
    ("Entrega", "Delivery"),
    ("Uso y soporte", "Use and support"),
    ("Postventa y fidelización", "After-sales and loyalty"),
)

JOURNEY_NAME = ("Viaje del cliente Casa Nova", "Casa Nova customer journey")
JOURNEY_DESCRIPTION = (
    "Del descubrimiento a la fidelización, en todos los canales. / From discovery to loyalty, across every channel."
)


@dataclass(frozen=True, slots=True)
class TouchpointSpec:
    code: str
    stage: int  # position in STAGES, from 0
    name: str
    name_en: str
    channel: Channel
    owner: str  # team name
    layer: BlueprintLayer = BlueprintLayer.FRONTSTAGE
    moment_of_truth: bool = False


_F, _B, _S = BlueprintLayer.FRONTSTAGE, BlueprintLayer.BACKSTAGE, BlueprintLayer.SUPPORT

TOUCHPOINTS: tuple[TouchpointSpec, ...] = (
    TouchpointSpec("TP-WEB-SEARCH", 0, "Búsqueda y catálogo en la web", "Web search and catalogue",
                   Channel.WEB, "Producto y e-commerce"),
    TouchpointSpec("TP-APP-BROWSE", 0, "Catálogo y ofertas en la app", "App catalogue and offers",
                   Channel.APP, "Producto y e-commerce"),
    TouchpointSpec("TP-SOCIAL-ADS", 0, "Redes sociales y publicidad", "Social media and advertising",
                   Channel.SOCIAL, "Marketing digital"),
    TouchpointSpec("TP-STORE-VISIT", 0, "Visita y asesoría en tienda", "Store visit and advice",
                   Channel.STORE, "Ventas"),
    TouchpointSpec(FRICTION_TOUCHPOINT, 1, "Pago en línea (checkout)", "Online checkout and payment",
                   Channel.WEB, "Producto y e-commerce", moment_of_truth=True),
    TouchpointSpec("TP-APP-CHECKOUT", 1, "Compra en la app", "In-app purchase",
                   Channel.APP, "Producto y e-commerce"),
    TouchpointSpec("TP-STORE-CASHIER", 1, "Caja en tienda", "Store checkout counter",
                   Channel.STORE, STORES_TEAM),
    TouchpointSpec("TP-PHONE-SALES", 1, "Venta telefónica", "Phone sales",
                   Channel.PHONE, "Ventas"),
    TouchpointSpec("TP-CREDIT", 1, "Aprobación de crédito y meses sin intereses", "Credit approval and instalments",
                   Channel.WEB, "Facturación y cobros", _B),
    TouchpointSpec("TP-DELIVERY-HOME", 2, "Entrega a domicilio", "Home delivery",
                   Channel.OTHER, "Logística y entregas", moment_of_truth=True),
    TouchpointSpec("TP-DELIVERY-TRACKING", 2, "Seguimiento del pedido", "Order tracking",
                   Channel.WEB, "Logística y entregas"),
    TouchpointSpec("TP-STORE-PICKUP", 2, "Recoger en tienda", "Store pickup",
                   Channel.STORE, STORES_TEAM),
    TouchpointSpec("TP-WAREHOUSE", 2, "Surtido en almacén", "Warehouse picking",
                   Channel.OTHER, "Logística y entregas", _S),
    TouchpointSpec("TP-INSTALL", 2, "Instalación a domicilio", "Home installation",
                   Channel.OTHER, "Logística y entregas"),
    TouchpointSpec("TP-PHONE-SUPPORT", 3, "Línea de atención telefónica", "Phone support line",
                   Channel.PHONE, PHONE_TEAM, moment_of_truth=True),
    TouchpointSpec("TP-CHAT-SUPPORT", 3, "Chat en web y app", "Web and app chat",
                   Channel.CHAT, CHAT_TEAM),
    TouchpointSpec("TP-WHATSAPP", 3, "Atención por WhatsApp", "WhatsApp support",
                   Channel.WHATSAPP, CHAT_TEAM),
    TouchpointSpec("TP-EMAIL-SUPPORT", 3, "Soporte por correo", "E-mail support",
                   Channel.EMAIL, AFTERSALES_TEAM),
    TouchpointSpec("TP-HELP-CENTER", 3, "Centro de ayuda (autoservicio)", "Help centre (self-service)",
                   Channel.WEB, "Producto y e-commerce", _S),
    TouchpointSpec("TP-WARRANTY", 4, "Garantía y reparaciones", "Warranty and repairs",
                   Channel.PHONE, AFTERSALES_TEAM, moment_of_truth=True),
    TouchpointSpec("TP-RETURNS", 4, "Devoluciones y reembolsos", "Returns and refunds",
                   Channel.STORE, AFTERSALES_TEAM),
    TouchpointSpec("TP-INVOICE", 4, "Facturación electrónica (CFDI)", "Electronic invoicing (CFDI)",
                   Channel.EMAIL, "Facturación y cobros", _B),
    TouchpointSpec("TP-LOYALTY", 4, "Programa de lealtad Casa Nova+", "Casa Nova+ loyalty programme",
                   Channel.APP, "Marketing digital"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    launched_on: date


# (sku prefix, category, names): launch dates are drawn relative to the end of the data.
_CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("REF", "Refrigeradores", ("Refrigerador Frost 14 pies", "Refrigerador Duplex 25 pies",
                               "Refrigerador Compacto 7 pies", "Congelador Horizontal 200 L")),
    ("LAV", "Lavado", ("Lavadora Carga Superior 19 kg", "Lavasecadora Inverter 22 kg",
                       "Secadora a Gas 20 kg", "Centro de Lavado Torre")),
    ("EST", "Cocina", ("Estufa 6 Quemadores", "Parrilla de Inducción", "Horno Empotrable",
                       "Campana Extractora 90 cm")),
    ("MIC", "Cocina", ("Horno de Microondas 1.1 pies", "Horno de Microondas con Grill")),
    ("LIC", "Electrodomésticos menores", ("Licuadora Clásica 10 velocidades", "Batidora de Pedestal",
                                          "Cafetera de Goteo", "Freidora de Aire 5 L", "Extractor de Jugos")),
    ("TV", "Televisores", ("Pantalla 43\" 4K", "Pantalla 55\" 4K QLED", "Pantalla 65\" OLED",
                           "Pantalla 32\" HD")),
    ("AUD", "Audio", ("Barra de Sonido 2.1", "Bocina Bluetooth Portátil", "Audífonos Inalámbricos")),
    ("CEL", "Telefonía", ("Smartphone Nova A5", "Smartphone Nova X Pro", "Smartwatch Nova Fit")),
    ("COM", "Cómputo", ("Laptop 14\" Ryzen 5", "Laptop Gamer 16\"", "Tableta 10\"", "Impresora Multifuncional")),
    ("CLI", "Climatización", ("Minisplit 1 Tonelada Inverter", "Ventilador de Torre", "Calentador de Agua 40 L")),
    ("ASP", "Limpieza", ("Aspiradora Robot", "Aspiradora Vertical Inalámbrica")),
)  # fmt: skip

LAUNCH_NAME = "Licuadora Turbo X2"


def products(end: date) -> tuple[ProductSpec, ...]:
    """The catalogue; the launch product comes out LAUNCH_DAYS_BEFORE_END days before `end`."""
    specs: list[ProductSpec] = []
    serial = 0
    for prefix, category, names in _CATALOGUE:
        for i, name in enumerate(names, start=1):
            serial += 1
            # Older products launched one to six years before the end, spread deterministically.
            launched = end - timedelta(days=400 + (serial * 173) % 1800)
            specs.append(ProductSpec(f"{prefix}-{i:03d}", name, category, launched))
    specs.append(
        ProductSpec(LAUNCH_SKU, LAUNCH_NAME, "Electrodomésticos menores", end - timedelta(days=LAUNCH_DAYS_BEFORE_END))
    )
    return tuple(specs)


SEGMENTS: tuple[tuple[str, float], ...] = (
    ("Premium", 0.12),
    ("Frecuente", 0.30),
    ("Ocasional", 0.48),
    ("Empresa/Pyme", 0.10),
)
REGIONS: tuple[tuple[str, float], ...] = (
    ("CDMX", 0.26),
    ("Estado de México", 0.16),
    ("Jalisco", 0.12),
    ("Nuevo León", 0.11),
    ("Puebla", 0.07),
    ("Querétaro", 0.06),
    ("Yucatán", 0.05),
    ("Veracruz", 0.06),
    ("Baja California", 0.06),
    ("Guanajuato", 0.05),
)
