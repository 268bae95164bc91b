"""Free-text customer comments for the demo company, in Spanish and English.

The comments are *composed*, not picked whole from a list.  For every topic ×
polarity × language there is a small bank of core statements, optional detail
sentences and short forms; around them come generic openings and closings by
polarity, an optional lead-in naming the product or the contact channel, an
optional remark about the agent, and sometimes a second clause about another
topic joined by a fitting connector ("Además,", "Eso sí,", "Lo único malo:").
Slots in the templates ({order}, {days}, {minutes}, {amount}, {agent},
{el_product}, ...) are filled with numbers and names, and a light layer of
noise imitates how people type: all lowercase, missing accents, chat
shorthand ("q", "xq"), a slipped letter, exclamation marks, a rare emoji.

Every random choice is read from a block of uniform numbers drawn from the
caller's ``numpy.random.Generator`` (``_DRAWS`` per comment), so a comment is a
pure function of the generator's state, ``compose_comments`` equals a loop of
``compose_comment`` on the same generator, and the hot path stays in plain
Python lookups (well above 50,000 comments per second on one core).

Product names are expected singular ("Lavadora EcoWash 8 kg"); the Spanish
article is guessed from the first word.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Final, Literal, NamedTuple

import numpy as np

__all__ = [
    "BRAND",
    "LANGUAGES",
    "POLARITIES",
    "TOPICS",
    "Language",
    "Polarity",
    "compose_comment",
    "compose_comments",
]

Polarity = Literal["positive", "neutral", "negative"]
Language = Literal["es", "en"]

BRAND: Final = "Casa Nova"

TOPICS: Final[tuple[str, ...]] = (
    "delivery_delay",
    "product_defect",
    "checkout_payment",
    "agent_attitude",
    "wait_time",
    "billing",
    "returns_refunds",
    "app_website",
    "price",
    "product_quality",
    "stock_availability",
    "resolution",
)
POLARITIES: Final[tuple[str, ...]] = ("positive", "neutral", "negative")
LANGUAGES: Final[tuple[str, ...]] = ("es", "en")


class _Bank(NamedTuple):
    """Texts for one topic × polarity × language."""

    cores: tuple[str, ...]
    details: tuple[str, ...]
    shorts: tuple[str, ...]


# --------------------------------------------------------------------------------------------------
# Topic banks.  Keys: (polarity, language).  Shorts must read well alone and after a connector.
# --------------------------------------------------------------------------------------------------

_DELIVERY_DELAY: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "El pedido {order} tenía que llegar {weekday} y todavía no llegó",
            "Llevo {days} días esperando {el_product} y nadie me da una respuesta",
            "Me prometieron la entrega en 48 horas y tardó {days} días",
            "Compré {el_product} hace {weeks} semanas y sigue sin llegar",
            "El envío viene con {days} días de retraso y el seguimiento no se actualiza",
            "Me quedé todo el día esperando al transportista y nunca vino",
            "La paquetería perdió mi pedido y nadie se hace responsable de la entrega",
            "La fecha de entrega cambió tres veces sin ningún aviso",
            "El pedido figura como entregado pero yo no recibí nada",
            "Pagué envío express y el pedido llegó una semana tarde",
            "Tardaron casi {weeks} semanas en entregar un envío que decía 3 días",
            "El repartidor dejó un aviso de visita cuando había gente en casa y el pedido sigue demorado",
            "La demora en la entrega {del_product} es inaceptable",
        ),
        details=(
            "El número de seguimiento no muestra movimiento desde hace {days} días",
            "Llamé {times} veces y siempre me dicen que está en camino",
            "Tuve que pedir el día libre en el trabajo para recibirlo",
            "Nadie avisa nada, hay que estar persiguiéndolos",
            "La empresa de transporte dice que es culpa de ustedes y ustedes dicen que es culpa de ellos",
            "Era un regalo de cumpleaños y llegó tarde",
        ),
        shorts=(
            "el pedido nunca llegó",
            "entrega con {days} días de atraso",
            "el envío llegó tardísimo",
            "envío demasiado lento",
            "todavía espero mi pedido",
            "demoraron una eternidad en entregar",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "El pedido llegó antes de la fecha prometida",
            "Compré {el_product} {weekday} y al día siguiente ya estaba en mi casa",
            "Entrega rapidísima, en menos de 48 horas",
            "Llegó en la fecha indicada y el repartidor fue muy amable",
            "Súper puntual la entrega, me avisaron por WhatsApp la franja horaria",
            "El envío fue rápido y pude seguir el pedido en todo momento",
            "El pedido {order} llegó en dos días, justo como decía la web",
            "Me sorprendió lo rápido que llegó el pedido, compré a la noche y al otro día lo tenía",
            "Cumplieron con el plazo de entrega al pie de la letra",
        ),
        details=(
            "Los del transporte me lo subieron hasta el piso",
            "El seguimiento se actualizaba en tiempo real",
            "Me mandaron un mensaje una hora antes de llegar",
            "Venía todo bien embalado",
            "Excelente logística",
        ),
        shorts=(
            "llegó antes de lo esperado",
            "entrega rápida y puntual",
            "envío rapidísimo",
            "el pedido llegó en tiempo y forma",
            "súper rápido el envío",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "Llegó bien, aunque el embalaje venía golpeado",
            "El pedido llegó un día después de lo prometido, pero llegó completo",
            "La entrega fue en la fecha, aunque no respetaron la franja horaria",
            "El envío tardó {days} días en llegar, lo normal supongo",
            "El pedido llegó a tiempo pero el repartidor no quiso subirlo al piso",
            "El envío fue correcto, nada fuera de lo común",
            "Me avisaron que la entrega tendría un retraso de {days} días y así fue",
            "Recibí el pedido {order} con un pequeño atraso pero sin problemas",
        ),
        details=(
            "Estaría bien poder elegir el horario de entrega",
            "El seguimiento no se actualizó hasta el último día",
            "No es grave, pero conviene que avisen antes",
            "La caja exterior estaba bastante maltratada",
        ),
        shorts=(
            "el pedido llegó con un día de demora",
            "entrega dentro del plazo",
            "el envío tardó lo normal",
            "llegó, aunque algo tarde",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "Order {order} was supposed to arrive {weekday} and it still hasn't shown up",
            "I've been waiting {days} days for {el_product} and nobody can tell me where it is",
            "Delivery was promised in 48 hours and it took {days} days",
            "The tracking hasn't updated in days and the package is late",
            "I stayed home all day and the courier never came",
            "It says delivered but I never received anything",
            "Paid for express shipping and the order arrived a week late",
        ),
        details=(
            "I called {times} times and they keep saying it's on the way",
            "It was a birthday present and it arrived too late",
            "The courier blames you and you blame the courier",
            "No updates, no emails, nothing",
        ),
        shorts=(
            "still waiting for my order",
            "delivery {days} days late",
            "shipping took forever",
            "my order never arrived",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "The order arrived earlier than promised",
            "Ordered {el_product} {weekday} and it was at my door the next day",
            "Super fast delivery, less than 48 hours",
            "Arrived right on the expected date and the driver was very friendly",
            "Shipping was quick and the tracking was accurate the whole time",
            "They delivered within the time slot they gave me",
        ),
        details=(
            "Got a text an hour before the driver arrived",
            "Everything was well packed",
            "Great logistics",
            "They even carried it upstairs",
        ),
        shorts=(
            "arrived earlier than expected",
            "fast and on-time delivery",
            "super quick shipping",
            "delivered right on time",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "It arrived fine, although the box was a bit damaged",
            "Delivery was one day later than promised, but everything was there",
            "The order came on the right day but not in the time slot they gave me",
            "Took {days} days to arrive, which I guess is normal",
            "They warned me about a delivery delay of {days} days and that's what happened",
        ),
        details=(
            "It would be nice to choose a delivery time",
            "Tracking only updated on the last day",
            "Not a big deal, but let people know earlier",
        ),
        shorts=(
            "arrived one day late",
            "delivery within the expected time",
            "shipping took the usual time",
        ),
    ),
}

_PRODUCT_DEFECT: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "{el_product} vino fallado de fábrica",
            "Dejó de funcionar a la semana de uso",
            "Compré {el_product} y no enciende, ni siquiera prende la luz",
            "Tiene un defecto de fábrica: hace un ruido rarísimo y se apaga a los pocos minutos",
            "{el_product} llegó con la pantalla rota",
            "A los {days} días empezó a fallar y ahora directamente no anda",
            "El equipo pierde agua por abajo desde el primer uso, claramente vino fallado",
            "El producto llegó golpeado y no funciona el botón de encendido",
            "Se recalienta y huele a quemado, es un defecto grave",
            "Me llegó {el_product} con una falla de fábrica",
            "Es el segundo equipo que me sale fallado",
            "El aparato dejó de funcionar sin motivo, no enciende más",
        ),
        details=(
            "Hace menos de un mes que lo tengo y ya está en el servicio técnico",
            "Está en garantía, así que espero que me hagan el cambio",
            "Con apenas {days} días de uso",
            "Mandé fotos y un video mostrando la falla",
            "Para el precio que tiene, no puede venir así",
            "El técnico confirmó que es un defecto de fábrica",
        ),
        shorts=(
            "vino fallado",
            "el equipo no enciende",
            "dejó de funcionar a la semana",
            "defecto de fábrica",
            "llegó roto",
            "se rompió al primer uso",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "Vino con un defecto de fábrica pero me hicieron el cambio en {days} días",
            "Dejó de funcionar a la semana, el servicio técnico vino a casa y quedó funcionando perfecto",
            "Me llegó con la pantalla rayada, lo reporté y al otro día ya tenía el reemplazo",
            "Tuve una falla con {el_product} y la garantía respondió muy bien",
            "Después de la falla inicial, el equipo de reemplazo funciona perfecto",
            "Pensé que iba a ser un lío por el defecto, pero lo resolvieron rapidísimo",
        ),
        details=(
            "Ni siquiera tuve que ir a la tienda",
            "El técnico fue muy claro explicando la falla",
            "Así da gusto usar la garantía",
            "Ahora funciona perfecto",
        ),
        shorts=(
            "falla resuelta por garantía",
            "cambiaron el equipo fallado sin problema",
            "el defecto lo solucionaron rápido",
            "garantía impecable con la falla",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "Funciona, pero hace un ruido raro que antes no hacía, no sé si es una falla",
            "Vino con un pequeño defecto en la carcasa, nada grave",
            "A veces no enciende a la primera, hay que intentar dos o tres veces",
            "{el_product} tiene una falla menor en la puerta, pero se puede usar",
            "Llegó con un rayón, un defecto estético, pero funciona bien igual",
            "Reporté la falla y todavía están evaluando si es defecto de fábrica",
        ),
        details=(
            "Ya abrí un reclamo de garantía",
            "Veremos qué dice el servicio técnico",
            "No sé si es normal o es un defecto",
        ),
        shorts=(
            "pequeño defecto estético",
            "a veces no enciende",
            "funciona pero con fallas",
            "falla menor, se puede usar",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "{el_product} arrived faulty",
            "It stopped working after a week",
            "It won't turn on at all",
            "Factory defect: it makes a weird noise and shuts down after a few minutes",
            "{el_product} arrived with a cracked screen",
            "It leaks water since the first use, clearly defective",
            "It overheats and smells like burning, that's a serious defect",
            "Second unit in a row that arrives defective",
        ),
        details=(
            "I've had it less than a month and it's already at the repair shop",
            "The technician confirmed it's a manufacturing defect",
            "I sent photos and a video of the fault",
            "At this price it shouldn't come like this",
        ),
        shorts=(
            "arrived broken",
            "it won't turn on",
            "stopped working after a week",
            "manufacturing defect",
            "defective out of the box",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "It came with a defect but they replaced it in {days} days",
            "Had a fault with {el_product} and the warranty service was great",
            "The replacement unit works perfectly after the first one failed",
            "The technician came home and fixed the defect quickly",
        ),
        details=(
            "Didn't even have to go to the store",
            "Now it works perfectly",
            "That's how warranty should work",
        ),
        shorts=(
            "defect fixed under warranty",
            "faulty unit replaced quickly",
            "quick fix for the defect",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "It works, but it makes a strange noise, might be a fault",
            "Small cosmetic defect on the casing, nothing serious",
            "Sometimes it doesn't turn on the first time",
            "Reported the fault and they're still checking if it's a factory defect",
        ),
        details=(
            "Already opened a warranty claim",
            "Not sure if it's normal or a defect",
        ),
        shorts=(
            "minor defect, still usable",
            "sometimes it won't turn on",
            "works but has a fault",
        ),
    ),
}

_CHECKOUT_PAYMENT: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "El pago fue rechazado {times} veces y la tarjeta tiene saldo",
            "Me cobraron dos veces la misma compra",
            "No pude finalizar la compra, la pasarela de pago se quedaba colgada",
            "Al momento de pagar la página da error y vuelve al carrito",
            "Intenté pagar con tarjeta de débito y no hubo forma",
            "El cupón de descuento no se aplicaba al pagar",
            "La pasarela de pago pide un código de verificación que nunca llega",
            "Me debitaron {amount} pero el pedido figura como no pagado",
            "No me dejó pagar a meses sin intereses aunque la promo decía que sí",
        ),
        details=(
            "Perdí la oferta por culpa del error en el pago",
            "El banco dice que el problema es de ustedes",
            "Tuve que terminar la compra en la tienda",
            "Todavía espero que me devuelvan el cobro duplicado",
        ),
        shorts=(
            "pago rechazado sin motivo",
            "me cobraron dos veces",
            "no pude finalizar la compra",
            "error en la pasarela de pago",
            "imposible pagar con tarjeta",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "El pago fue rapidísimo, en dos clics estaba listo",
            "Pude pagar en cuotas sin interés sin ningún problema",
            "Pagué a meses sin intereses y todo salió a la primera",
            "Muy fácil finalizar la compra, la pasarela de pago funcionó perfecto",
            "Pagué con transferencia y confirmaron el pago al instante",
            "El proceso de pago es simple y claro, me aplicó el cupón sin problema",
            "Me gustó poder pagar al retirar en la tienda",
        ),
        details=(
            "El comprobante de pago llegó enseguida al correo",
            "Tienen muchos medios de pago",
            "Nada de errores al pagar",
        ),
        shorts=(
            "pago fácil y rápido",
            "compra finalizada sin problemas",
            "pagar en cuotas sin interés, genial",
            "el pago con tarjeta funcionó perfecto",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "El pago salió, aunque al principio la tarjeta fue rechazada",
            "Pude finalizar la compra, pero la pasarela de pago es lenta",
            "Pagué sin problemas, aunque no aparecían los meses sin intereses",
            "Tuve que intentar dos veces el pago, la segunda funcionó",
            "El proceso de compra funciona, pero al pagar pide demasiados datos",
        ),
        details=(
            "Deberían aceptar más medios de pago",
            "El mensaje de error del pago no explica nada",
        ),
        shorts=(
            "el pago tardó en confirmarse",
            "pago aprobado al segundo intento",
            "el proceso de pago es mejorable",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "My payment was declined {times} times and the card is fine",
            "I was charged twice for the same order",
            "Couldn't complete the purchase, the payment page kept freezing",
            "The checkout throws an error right when I pay",
            "The discount code wouldn't apply at checkout",
            "They took {amount} from my account but the order shows as unpaid",
        ),
        details=(
            "I lost the deal because of the payment error",
            "My bank says the problem is on your side",
            "Still waiting for the double charge to be refunded",
        ),
        shorts=(
            "payment declined for no reason",
            "charged twice",
            "couldn't complete checkout",
            "payment gateway error",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "Checkout was quick, two clicks and done",
            "Paid in interest-free installments with no issues",
            "The payment went through instantly",
            "Easy checkout, the coupon applied without problems",
        ),
        details=(
            "The payment receipt arrived in my inbox right away",
            "Lots of payment options",
        ),
        shorts=(
            "easy and fast payment",
            "smooth checkout",
            "payment went through fine",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "The payment went through, though the card was declined at first",
            "I could complete the purchase but the payment page is slow",
            "Had to try the payment twice, the second time it worked",
        ),
        details=(
            "You should accept more payment methods",
            "The payment error message doesn't explain anything",
        ),
        shorts=(
            "payment approved on second try",
            "checkout could be better",
            "payment took a while to confirm",
        ),
    ),
}

_AGENT_ATTITUDE: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "{agent} me atendió de muy mala manera",
            "La persona que me atendió fue muy grosera y me cortó la llamada",
            "{agent} no me dejaba terminar de hablar, una falta de respeto",
            "Atención pésima, me trataron como si yo fuera el problema",
            "El vendedor ni me miró, estaba con el celular",
            "{agent} fue muy poco amable y contestaba de mala gana",
            "Falta total de empatía por parte del asesor",
            "Me hablaron con un tono bastante soberbio, muy mal trato",
            "{agent} se burló de mi consulta",
        ),
        details=(
            "Pedí hablar con un supervisor y me dijeron que no había",
            "No es la primera vez que me tratan así",
            "Así no se trata a un cliente",
            "Deberían capacitar mejor al personal",
        ),
        shorts=(
            "atención muy grosera",
            "pésimo trato del personal",
            "me atendieron de mala gana",
            "cero empatía del asesor",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "{agent} me atendió muy bien, con mucha paciencia",
            "Excelente la atención de {agent}, súper amable",
            "{agent} fue muy amable y me explicó todo con claridad",
            "La chica de la tienda fue un amor, muy atenta",
            "El trato del personal fue excelente de principio a fin",
            "Me sentí escuchad{o}, {agent} entendió el problema enseguida",
            "Me sentí escuchad{o}, {agent} tuvo muchísima paciencia",
            "Quiero felicitar a {agent} por su profesionalismo y amabilidad",
            "Da gusto que te atiendan con esa amabilidad",
        ),
        details=(
            "Se nota que le gusta su trabajo",
            "Ojalá todos atendieran así",
            "Un diez para {agent}",
            "Hasta me llamó después para ver si todo estaba bien",
        ),
        shorts=(
            "muy buena atención",
            "personal muy amable",
            "excelente trato de {agent}",
            "atención de diez",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "{agent} fue amable, aunque se notaba con prisa",
            "La atención fue cordial pero un poco fría",
            "{agent} me atendió bien, sin más",
            "El trato fue normal, ni bueno ni malo",
            "Fueron amables en la tienda, aunque tardaron en atenderme",
            "La persona del chat respondía con frases hechas, aunque con buena onda",
        ),
        details=(
            "Nada especial que destacar de la atención",
            "Se notaba que tenía mucho trabajo",
        ),
        shorts=(
            "atención correcta",
            "trato cordial, sin más",
            "amables pero distantes",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "{agent} was really rude to me",
            "The person on the phone was rude and hung up on me",
            "{agent} kept interrupting me, so disrespectful",
            "Terrible attitude, they treated me like I was the problem",
            "The salesperson ignored me and kept looking at his phone",
            "Zero empathy from the agent",
        ),
        details=(
            "I asked for a supervisor and they said none was available",
            "That's not how you treat a customer",
            "Your staff needs better training",
        ),
        shorts=(
            "rude staff",
            "terrible attitude from the agent",
            "very unfriendly service",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "{agent} was super friendly and patient",
            "Great service from {agent}, explained everything clearly",
            "The staff were kind and helpful from start to finish",
            "I want to thank {agent} for being so professional and kind",
            "{agent} understood my problem right away, very friendly",
        ),
        details=(
            "You can tell they enjoy their job",
            "Wish everyone was that friendly",
            "10/10 for {agent}",
        ),
        shorts=(
            "very friendly staff",
            "lovely customer service",
            "{agent} was great",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "{agent} was polite but seemed in a hurry",
            "The service was courteous but a bit cold",
            "Staff were okay, nothing special",
            "Friendly enough, though it took a while to get attention",
        ),
        details=(
            "Nothing special to highlight about the staff",
            "They seemed very busy",
        ),
        shorts=(
            "polite service",
            "staff were okay",
            "friendly but distant",
        ),
    ),
}

_WAIT_TIME: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "Estuve {minutes} minutos en espera y nadie me atendió",
            "Llamé al call center y me tuvieron {minutes} minutos con música de espera",
            "En la tienda había una sola caja y tardé casi una hora en pagar, qué espera",
            "Mandé un correo hace {days} días y todavía no responden",
            "El chat dice que en breve te atienden y pasan {minutes} minutos",
            "La fila en la tienda era eterna, demasiada espera",
            "Me dejaron en espera {minutes} minutos y después se cortó",
            "Tardaron {days} días en contestar un simple WhatsApp",
        ),
        details=(
            "No puede ser que haya que esperar tanto",
            "Pedí que me llamaran y nunca lo hicieron",
            "Terminé colgando",
            "Perdí toda la mañana esperando",
        ),
        shorts=(
            "demasiado tiempo de espera",
            "{minutes} minutos en espera",
            "nadie atiende el teléfono",
            "esperas eternas",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "Me atendieron enseguida, casi sin espera",
            "En {quick} minutos ya estaba hablando con alguien",
            "Respondieron el WhatsApp al instante",
            "Muy poca fila en la tienda, me atendieron rápido",
            "El chat contestó en menos de un minuto",
            "Llamé y me atendieron al primer tono, cero espera",
        ),
        details=(
            "Así da gusto",
            "No esperaba una respuesta tan rápida",
            "Nada que ver con otras empresas",
        ),
        shorts=(
            "atención rápida, sin espera",
            "me atendieron luego luego",
            "respuesta inmediata",
            "cero espera",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "Esperé unos {minutes} minutos, lo normal para un sábado",
            "La espera fue larga, pero después me atendieron bien",
            "Respondieron el correo en {days} días, algo lento pero respondieron",
            "Hubo que esperar un poco en la fila, nada grave",
            "El tiempo de espera fue aceptable",
        ),
        details=(
            "Podrían poner más gente en horas pico",
            "Estaría bien que avisen cuánto falta para ser atendido",
        ),
        shorts=(
            "espera aceptable",
            "tardaron un poco en atender",
            "{minutes} minutos de espera, normal",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "I was on hold for {minutes} minutes and nobody answered",
            "They kept me on hold for {minutes} minutes listening to music",
            "Only one till open in the store, almost an hour waiting in line",
            "I emailed {days} days ago and still no reply",
            "The chat says someone will be with you shortly and {minutes} minutes later nothing",
            "Put on hold for {minutes} minutes and then the call dropped",
        ),
        details=(
            "I asked for a callback and never got one",
            "I ended up hanging up",
            "Nobody should have to wait this long",
        ),
        shorts=(
            "way too long on hold",
            "{minutes} minutes waiting",
            "nobody picks up the phone",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "They answered right away, almost no wait",
            "Within {quick} minutes I was talking to someone",
            "They replied to my WhatsApp instantly",
            "The chat answered in less than a minute",
            "Picked up on the first ring, zero waiting",
        ),
        details=(
            "Didn't expect such a fast response",
            "Way better than other companies",
        ),
        shorts=(
            "no waiting at all",
            "instant reply",
            "quick to answer",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "I waited about {minutes} minutes, normal for a Saturday",
            "Long wait, but the service was fine once I got through",
            "They replied to my email in {days} days, slow but they did",
            "Wait time was acceptable",
        ),
        details=("They could add more staff at peak hours",),
        shorts=(
            "acceptable wait",
            "took a while to answer",
        ),
    ),
}

_BILLING: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "En la factura me cobraron {amount} de más",
            "Nunca me llegó la factura de la compra",
            "Me facturaron una garantía extendida que no pedí",
            "La factura salió con datos equivocados y nadie la corrige",
            "Me aparece un cargo de {amount} en el estado de cuenta de la tarjeta que no reconozco",
            "Me cobraron el envío aunque la promo decía envío gratis",
            "Pedí factura a nombre de mi empresa y me la hicieron como consumidor final",
            "Hay un cobro duplicado en mi estado de cuenta",
        ),
        details=(
            "Llevo {weeks} semanas pidiendo la nota de crédito",
            "Necesito la factura para la garantía",
            "Ya van {times} reclamos por lo mismo",
        ),
        shorts=(
            "error en la factura",
            "cobro de más en la factura",
            "la factura nunca llegó",
            "un cargo que no reconozco",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "La factura llegó al correo al instante y con todos los datos correctos",
            "Detecté un error en la factura y lo corrigieron en el día",
            "Todo claro en la facturación, sin sorpresas",
            "Me devolvieron el cargo de más sin que tuviera que insistir",
            "Pedí factura a nombre de la empresa y me la enviaron enseguida",
        ),
        details=(
            "Muy ordenados con la facturación",
            "Se agradece la transparencia en los cobros",
        ),
        shorts=(
            "facturación clara",
            "factura correcta y a tiempo",
            "corrigieron la factura rápido",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "La factura llegó, aunque tardó {days} días",
            "Tuve que pedir la factura dos veces, pero al final llegó",
            "El cobro fue correcto, pero la factura no detalla el envío",
            "Corrigieron el error de facturación, aunque tardaron",
        ),
        details=(
            "Sería útil poder descargar la factura desde la web",
            "No entiendo bien algunos conceptos del cobro",
        ),
        shorts=(
            "factura con demora",
            "facturación correcta pero lenta",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "I was overcharged {amount} on the invoice",
            "Never received the invoice for my purchase",
            "They billed me for an extended warranty I never asked for",
            "The invoice has the wrong details and nobody fixes it",
            "There's a charge of {amount} on my card statement I don't recognise",
            "They charged me for shipping even though it was supposed to be free",
        ),
        details=(
            "I've been asking for a credit note for {weeks} weeks",
            "I need the invoice for the warranty",
            "I've complained {times} times about this",
        ),
        shorts=(
            "wrong invoice",
            "overcharged on my bill",
            "the invoice never arrived",
            "unknown charge on my card",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "The invoice arrived instantly with all the right details",
            "I spotted a billing error and they fixed it the same day",
            "Billing was clear, no surprises",
            "They refunded the extra charge without me having to chase it",
        ),
        details=("Appreciate the transparency on charges",),
        shorts=(
            "clear billing",
            "correct invoice on time",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "The invoice came, though it took {days} days",
            "Had to ask for the invoice twice but it arrived",
            "The charge was right but the invoice doesn't show the shipping cost",
        ),
        details=("Would be useful to download invoices from the website",),
        shorts=(
            "invoice arrived late",
            "billing fine but slow",
        ),
    ),
}

_RETURNS_REFUNDS: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "Devolví {el_product} hace {weeks} semanas y todavía no me reembolsan",
            "Me rechazaron la devolución sin ninguna explicación",
            "Para hacer un cambio me pidieron mil requisitos",
            "El reembolso de {amount} sigue sin aparecer en mi cuenta",
            "Me dijeron que el reembolso tardaba 5 días y ya pasó un mes",
            "No me quisieron aceptar la devolución en la tienda, que tenía que ser online",
            "Retiraron el producto para la devolución y ahora dicen que nunca lo recibieron",
            "El proceso de devolución es un laberinto",
        ),
        details=(
            "Quiero mi dinero de vuelta",
            "Cada vez que llamo me dan un plazo distinto para el reembolso",
            "Me ofrecen un vale en lugar de devolverme el dinero",
            "Ni siquiera me dieron un número de seguimiento de la devolución",
        ),
        shorts=(
            "un reembolso que nunca llega",
            "devolución rechazada",
            "imposible hacer un cambio",
            "todavía espero mi reembolso",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "Hice la devolución sin problema y el reembolso llegó en pocos días",
            "Cambié {el_product} en la tienda en cinco minutos",
            "Pedí la devolución desde la app y pasaron a retirarlo por casa",
            "Me devolvieron el dinero enseguida, sin preguntas",
            "El cambio por otro modelo fue muy sencillo",
            "Muy fácil el proceso de devolución",
        ),
        details=(
            "Así da confianza comprar online",
            "Me mantuvieron al tanto en todo momento",
        ),
        shorts=(
            "devolución fácil",
            "reembolso rápido",
            "cambio sin complicaciones",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "El reembolso llegó, pero tardó más de lo que dijeron",
            "Pude hacer la devolución, aunque tuve que ir dos veces a la tienda",
            "Me aceptaron el cambio, pero no había el mismo modelo",
            "La devolución está en proceso, por ahora todo normal",
            "Me reintegraron {amount}, pero me descontaron el envío",
        ),
        details=(
            "El procedimiento de devolución podría ser más simple",
            "Hay que guardar la caja original, ojo",
        ),
        shorts=(
            "reembolso con demora",
            "devolución en proceso",
            "cambio aceptado, algo lento",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "I returned {el_product} {weeks} weeks ago and still no refund",
            "They rejected my return without any explanation",
            "The refund of {amount} still hasn't reached my account",
            "They said the refund takes 5 days and it's been a month",
            "The store wouldn't accept the return, said it had to be done online",
            "They picked up the item for the return and now say they never received it",
        ),
        details=(
            "I just want my money back",
            "Every time I call they give me a different date",
            "They offered store credit instead of a refund",
        ),
        shorts=(
            "still no refund",
            "return rejected",
            "the refund never arrived",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "Returned it with no hassle and got the refund in a few days",
            "Exchanged {el_product} at the store in five minutes",
            "Requested the return in the app and they picked it up from my home",
            "Got my money back right away, no questions asked",
            "The return process was really easy",
        ),
        details=(
            "Makes me trust buying online",
            "They kept me updated the whole time",
        ),
        shorts=(
            "easy return",
            "fast refund",
            "hassle-free exchange",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "The refund came, but later than they said",
            "The return went through, though I had to go to the store twice",
            "They accepted the exchange but didn't have the same model",
            "Refunded {amount} but they kept the shipping fee",
        ),
        details=("The return procedure could be simpler",),
        shorts=(
            "refund took a while",
            "return in progress",
        ),
    ),
}

_APP_WEBSITE: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "La app se cierra sola cada vez que quiero ver el carrito",
            "La página web es lentísima y se cuelga",
            "No puedo iniciar sesión en la app, me dice que la contraseña es incorrecta",
            "El buscador de la web no encuentra nada",
            "La app no carga las fotos de los productos",
            "Después de la última actualización la aplicación no funciona",
            "La web me borró el carrito {times} veces",
            "Imposible navegar la página desde el celular",
        ),
        details=(
            "Terminé comprando desde la computadora",
            "Ya desinstalé la app y la volví a instalar",
            "Es muy frustrante",
            "Es la peor app de compras que usé",
        ),
        shorts=(
            "la app no funciona",
            "la web es muy lenta",
            "la página se cuelga",
            "app llena de errores",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "La app es muy fácil de usar",
            "La web es rápida y encontré lo que buscaba enseguida",
            "Me encanta la app, puedo seguir el pedido en tiempo real",
            "Muy intuitiva la página, compré en dos minutos",
            "El buscador de la web funciona muy bien y los filtros son útiles",
            "La nueva versión de la aplicación está mucho mejor",
        ),
        details=(
            "Las notificaciones de la app son útiles",
            "Todo muy claro y ordenado",
        ),
        shorts=(
            "app muy cómoda",
            "web fácil de usar",
            "excelente la aplicación",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "La app funciona, aunque a veces tarda en cargar",
            "La web está bien, pero el buscador podría mejorar",
            "Pude comprar por la página, aunque me pidió registrarme dos veces",
            "La aplicación es correcta, nada del otro mundo",
            "Desde el celular la web se ve un poco desordenada",
        ),
        details=(
            "Estaría bien poder guardar favoritos en la app",
            "Le falta un modo oscuro",
        ),
        shorts=(
            "la app cumple",
            "web correcta pero lenta",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "The app crashes every time I open the cart",
            "The website is painfully slow and keeps freezing",
            "Can't log in to the app, it says my password is wrong",
            "The site's search doesn't find anything",
            "Since the last update the app doesn't work",
            "The website emptied my cart {times} times",
        ),
        details=(
            "Ended up buying from my laptop",
            "Already reinstalled the app twice",
            "Really frustrating",
        ),
        shorts=(
            "the app keeps crashing",
            "website too slow",
            "the site keeps freezing",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "The app is really easy to use",
            "The website is fast and I found what I wanted right away",
            "Love the app, I can track my order in real time",
            "Very intuitive site, bought in two minutes",
            "The new version of the app is much better",
        ),
        details=(
            "The app notifications are actually useful",
            "Everything clear and well organised",
        ),
        shorts=(
            "great app",
            "website easy to use",
            "smooth app",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "The app works, though it's slow to load sometimes",
            "The website is fine but search could be better",
            "I could buy on the site, but it made me sign up twice",
            "The app is okay, nothing special",
        ),
        details=("Would be nice to save favourites in the app",),
        shorts=(
            "the app does the job",
            "website okay but slow",
        ),
    ),
}

_PRICE: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "Muy caro para lo que es",
            "El mismo producto está un {pct}% más barato en otras tiendas",
            "Subieron el precio justo después de que lo agregué al carrito",
            "Los precios no son competitivos, en la competencia está mucho más barato",
            "La supuesta oferta era el precio normal inflado",
            "Pagué {amount} por {el_product} y a la semana bajó un {pct}%",
            "El precio publicado no coincidía con el de la caja",
            "Cobran el envío carísimo, encarece todo el precio",
        ),
        details=(
            "No vuelvo a comprar con estos precios",
            "Sentí que me tomaron el pelo con el descuento",
            "Para ese precio esperaba mucho más",
        ),
        shorts=(
            "muy caro",
            "precios abusivos",
            "caro para lo que ofrece",
            "ofertas engañosas",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "Excelente precio, el más barato que encontré",
            "Aproveché la promo y me ahorré {amount}",
            "Muy buena relación precio-calidad",
            "Compré {el_product} con un {pct}% de descuento, una ganga",
            "Los precios son muy competitivos",
            "Las cuotas sin interés hacen que el precio sea accesible",
        ),
        details=(
            "Vale lo que cuesta",
            "Vale cada peso",
            "Voy a esperar el próximo descuento para comprar más",
        ),
        shorts=(
            "buen precio",
            "precio imbatible",
            "excelente relación precio-calidad",
            "muy buena oferta",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "El precio es el mismo que en otros lados",
            "Precio razonable, aunque no es una ganga",
            "Un poco caro, pero la calidad lo justifica",
            "La oferta estaba bien, pero el envío encarece todo",
            "Precio normal, nada especial",
        ),
        details=(
            "Esperaba algún descuento por ser cliente frecuente",
            "Comparé precios antes de comprar",
        ),
        shorts=(
            "precio razonable",
            "ni caro ni barato",
            "precio de mercado",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "Way too expensive for what it is",
            "The same product is {pct}% cheaper elsewhere",
            "They raised the price right after I added it to the cart",
            "The so-called deal was just the regular price inflated",
            "Paid {amount} for {el_product} and a week later the price dropped {pct}%",
            "The price on the website didn't match the price at the till",
        ),
        details=(
            "Not buying again at these prices",
            "For that price I expected much more",
        ),
        shorts=(
            "too expensive",
            "overpriced",
            "misleading discounts",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "Great price, the cheapest I found",
            "Used the promo and saved {amount}",
            "Very good value for money",
            "Got {el_product} at {pct}% off, amazing deal",
            "Prices are very competitive",
        ),
        details=(
            "Worth every penny",
            "Will wait for the next sale to buy more",
        ),
        shorts=(
            "great price",
            "excellent value for money",
            "unbeatable deal",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "The price is the same as anywhere else",
            "Reasonable price, though not a bargain",
            "A bit pricey but the quality justifies it",
            "Good deal, but shipping makes it more expensive",
        ),
        details=("Expected some discount as a regular customer",),
        shorts=(
            "fair price",
            "not cheap, not expensive",
        ),
    ),
}

_PRODUCT_QUALITY: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "La calidad de los materiales es muy mala, se siente de plástico barato",
            "{el_product} no rinde lo que promete, muy baja calidad",
            "La calidad de imagen es bastante peor de lo que mostraban en la tienda",
            "Hace muchísimo ruido cuando funciona, mala calidad",
            "La batería dura la mitad de lo que dice la caja",
            "Se ve endeble, las terminaciones son malas",
            "No es la calidad que esperaba de esta marca",
            "Calienta poco y tarda una eternidad, pésimo rendimiento",
        ),
        details=(
            "No recomiendo este modelo",
            "Se nota el ahorro en materiales",
            "Parece de una marca mucho más barata",
        ),
        shorts=(
            "mala calidad",
            "materiales baratos",
            "calidad muy pobre",
            "no rinde nada",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "Excelente calidad, se nota en los materiales",
            "{el_product} funciona de maravilla",
            "La calidad de imagen es espectacular y el sonido muy bueno",
            "Funciona en silencio y gasta poca energía, muy buena calidad",
            "Superó mis expectativas en calidad",
            "Terminaciones de primera, nada que ver con lo barato",
            "Uso el equipo todos los días hace {weeks} semanas y rinde perfecto",
        ),
        details=(
            "Totalmente recomendable",
            "Se nota que es un producto de calidad",
            "En casa estamos encantados",
        ),
        shorts=(
            "excelente calidad",
            "muy buen producto",
            "calidad de primera",
            "funciona perfecto",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "La calidad es aceptable para el precio",
            "Funciona bien, aunque hace algo de ruido",
            "Buen producto, pero los materiales podrían ser mejores",
            "Cumple con lo básico, nada más",
            "La calidad de imagen es buena, el sonido regular",
        ),
        details=(
            "Veremos cómo resiste con el tiempo",
            "Es lo que esperaba, ni más ni menos",
        ),
        shorts=(
            "calidad aceptable",
            "cumple su función",
            "producto correcto",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "The build quality is poor, feels like cheap plastic",
            "{el_product} doesn't perform as advertised, very poor quality",
            "The picture quality is much worse than in the store demo",
            "It's really noisy when running, bad quality",
            "Battery lasts half of what the box says",
            "Not the quality I expected from this brand",
        ),
        details=(
            "You can tell they cut corners on materials",
            "Wouldn't recommend this model",
        ),
        shorts=(
            "poor quality",
            "cheap materials",
            "low quality product",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "Excellent quality, you can feel it in the materials",
            "{el_product} works wonderfully",
            "The picture is stunning and the sound quality is great",
            "Quiet and very efficient, great quality",
            "Exceeded my expectations in quality",
            "I've used it every day for {weeks} weeks and it works perfectly",
        ),
        details=(
            "Highly recommended",
            "Clearly a quality product",
        ),
        shorts=(
            "excellent quality",
            "great product",
            "top quality",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "Quality is acceptable for the price",
            "Works well, though it's a bit noisy",
            "Good product but the materials could be better",
            "Does the basics, nothing more",
        ),
        details=("We'll see how it holds up over time",),
        shorts=(
            "acceptable quality",
            "does the job",
            "decent product",
        ),
    ),
}

_STOCK_AVAILABILITY: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "Compré {el_product} y a los {days} días me avisaron que no había stock",
            "Siempre está agotado lo que busco",
            "La web decía que había stock en la tienda y al llegar no tenían",
            "Me cancelaron el pedido {order} por falta de stock",
            "Hace {weeks} semanas que espero que repongan el modelo, sigue agotado",
            "Publican productos sin stock, es una falta de respeto",
            "No hay stock del color que quería y no saben la fecha de reposición",
        ),
        details=(
            "Perdí el día yendo a la tienda",
            "Deberían actualizar el inventario",
            "Terminé comprando en la competencia",
        ),
        shorts=(
            "sin stock",
            "producto agotado",
            "nunca hay stock",
            "cancelado por falta de stock",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "Tenían stock de todo lo que necesitaba",
            "Encontré {el_product} que no había en ninguna otra tienda, tenían stock",
            "Me avisaron apenas hubo stock y pude comprar",
            "Había disponibilidad en la tienda y lo retiré en el día",
            "Gran variedad de modelos disponibles",
        ),
        details=(
            "El aviso de reposición funciona muy bien",
            "Buen surtido",
        ),
        shorts=(
            "buen stock",
            "todo disponible",
            "mucha variedad disponible",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "No tenían stock del color que quería, así que llevé otro",
            "El producto estaba agotado, pero lo repusieron en {days} días",
            "Había stock online pero no en la tienda",
            "Tuve que elegir otro modelo por disponibilidad",
        ),
        details=(
            "Sería bueno ver el stock por tienda",
            "Al final me arreglé con otro modelo",
        ),
        shorts=(
            "stock limitado",
            "reposición algo lenta",
            "poca disponibilidad de colores",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "Bought {el_product} and {days} days later they told me it was out of stock",
            "Everything I want is always sold out",
            "The website said the store had it in stock and when I got there they didn't",
            "Order {order} was cancelled because they had no stock",
            "Been waiting {weeks} weeks for them to restock this model",
        ),
        details=(
            "Wasted a trip to the store",
            "Please keep your inventory updated",
            "Ended up buying from a competitor",
        ),
        shorts=(
            "out of stock",
            "sold out again",
            "cancelled due to no stock",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "They had everything I needed in stock",
            "Found {el_product} in stock when no other store had it",
            "They let me know as soon as it was back in stock",
            "It was available in the store and I picked it up the same day",
        ),
        details=(
            "The back-in-stock alert works great",
            "Great range of models",
        ),
        shorts=(
            "good availability",
            "everything in stock",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "They didn't have the colour I wanted in stock so I took another one",
            "It was sold out but they restocked in {days} days",
            "In stock online but not at the store",
        ),
        details=("Would be good to see stock per store",),
        shorts=(
            "limited stock",
            "restock took a while",
        ),
    ),
}

_RESOLUTION: Final[Mapping[tuple[str, str], _Bank]] = {
    ("negative", "es"): _Bank(
        cores=(
            "Tuve que llamar {times} veces para que me solucionaran algo simple",
            "Me cerraron el reclamo sin resolver nada",
            "Cada vez que llamo me atiende alguien distinto y hay que explicar todo de nuevo, nadie lo resuelve",
            "Hace {weeks} semanas que tengo el caso abierto y nadie me da una solución",
            "{agent} me dijo que me iban a llamar con una solución y nunca llamaron",
            "Me pasan de un área a otra y nadie se hace cargo del problema",
            "El ticket {ticket} sigue sin respuesta",
            "Prometieron una solución en 48 horas y no pasó nada",
        ),
        details=(
            "Ya no sé a quién recurrir",
            "Voy a poner una queja en Profeco",
            "Es agotador tener que insistir tanto",
        ),
        shorts=(
            "nadie me da una solución",
            "sigo sin respuesta",
            "reclamo sin resolver",
            "tuve que llamar {times} veces",
        ),
    ),
    ("positive", "es"): _Bank(
        cores=(
            "Me resolvieron el problema a la primera",
            "{agent} se hizo cargo y me solucionó todo en una sola llamada",
            "Abrí el reclamo y en menos de 24 horas estaba resuelto",
            "Me dieron una solución rápida y concreta",
            "Tenía un problema con el pedido {order} y lo resolvieron enseguida",
            "{agent} me llamó al día siguiente para confirmar que todo estaba solucionado",
        ),
        details=(
            "Quedé muy conforme con la solución",
            "Cumplieron con lo que prometieron",
            "Así se gana un cliente",
        ),
        shorts=(
            "resuelto a la primera",
            "solución rápida",
            "problema solucionado",
            "me resolvieron todo",
        ),
    ),
    ("neutral", "es"): _Bank(
        cores=(
            "Al final me lo resolvieron, aunque tuve que insistir",
            "La solución llegó, pero tardaron {days} días",
            "Me resolvieron una parte del problema, la otra sigue pendiente",
            "El caso está en revisión, veremos si lo solucionan",
            "{agent} tomó el reclamo y quedó en llamarme",
        ),
        details=(
            "Todavía no sé si quedó resuelto del todo",
            "Espero que no vuelva a pasar",
        ),
        shorts=(
            "resuelto a medias",
            "caso en revisión",
            "solución con demora",
        ),
    ),
    ("negative", "en"): _Bank(
        cores=(
            "I had to call {times} times to fix something simple",
            "They closed my complaint without solving anything",
            "Every time I call it's someone new and I have to explain everything again",
            "My case has been open for {weeks} weeks with no solution",
            "{agent} said they'd call me back with a solution and nobody did",
            "They keep passing me from one department to another",
            "Ticket {ticket} is still unanswered",
        ),
        details=(
            "I don't know who else to turn to",
            "Exhausting to have to chase you like this",
            "I'm going to file a consumer complaint",
        ),
        shorts=(
            "still no solution",
            "complaint unresolved",
            "had to call {times} times",
        ),
    ),
    ("positive", "en"): _Bank(
        cores=(
            "They solved my problem on the first call",
            "{agent} took ownership and fixed everything in one call",
            "Opened a complaint and it was sorted within a day",
            "Quick and clear solution",
            "{agent} called the next day to make sure everything was solved",
        ),
        details=(
            "Very happy with the outcome",
            "They did what they promised",
        ),
        shorts=(
            "solved on first contact",
            "problem fixed",
            "quick resolution",
        ),
    ),
    ("neutral", "en"): _Bank(
        cores=(
            "They eventually solved it, but I had to insist",
            "The solution came, but it took {days} days",
            "Part of the problem is solved, the rest is pending",
            "{agent} logged the complaint and said they'd call me",
        ),
        details=("Still not sure it's fully resolved",),
        shorts=(
            "partly resolved",
            "case under review",
            "slow resolution",
        ),
    ),
}

_BANKS: Final[Mapping[str, Mapping[tuple[str, str], _Bank]]] = {
    "delivery_delay": _DELIVERY_DELAY,
    "product_defect": _PRODUCT_DEFECT,
    "checkout_payment": _CHECKOUT_PAYMENT,
    "agent_attitude": _AGENT_ATTITUDE,
    "wait_time": _WAIT_TIME,
    "billing": _BILLING,
    "returns_refunds": _RETURNS_REFUNDS,
    "app_website": _APP_WEBSITE,
    "price": _PRICE,
    "product_quality": _PRODUCT_QUALITY,
    "stock_availability": _STOCK_AVAILABILITY,
    "resolution": _RESOLUTION,
}

# --------------------------------------------------------------------------------------------------
# Generic pieces by polarity × language.  Openings ending in "," ":" " y" "and" "porque" "because"
# run on into the next sentence.
# --------------------------------------------------------------------------------------------------

_OPENINGS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("positive", "es"): (
        "Excelente.",
        "Muy conforme.",
        "¡Muy content{o}!",
        "¡Encantad{o}!",
        "La verdad,",
        "Sinceramente,",
        "Qué buena experiencia.",
        "Todo bien.",
        "Hola,",
        "Primera vez que compro en {brand} y",
        "Siempre compro en {brand}.",
        "Les cuento:",
        "Nada que reprochar.",
        "Buenísimo.",
        "10 puntos.",
        "Muy buena experiencia con {brand}.",
    ),
    ("negative", "es"): (
        "Pésimo.",
        "Un desastre.",
        "Muy mala experiencia.",
        "Estoy muy molest{o}.",
        "Me siento estafad{o}.",
        "Lamentablemente,",
        "La verdad,",
        "Qué decepción.",
        "Hola,",
        "Una vergüenza.",
        "Nunca más.",
        "Les escribo porque",
        "Quiero dejar constancia:",
        "Horrible experiencia con {brand}.",
        "Indignad{o}.",
    ),
    ("neutral", "es"): (
        "Hola.",
        "Bueno,",
        "En general,",
        "Comento mi experiencia:",
        "Más o menos.",
        "Regular.",
        "Normal.",
        "Les cuento:",
        "Algunas cosas a mejorar:",
        "Sin grandes quejas.",
        "Buenas tardes.",
    ),
    ("positive", "en"): (
        "Excellent.",
        "Very happy!",
        "Honestly,",
        "Great experience.",
        "Hi,",
        "First time buying from {brand} and",
        "Always buy from {brand}.",
        "Nothing to complain about.",
        "Loved it.",
        "10/10.",
    ),
    ("negative", "en"): (
        "Terrible.",
        "A disaster.",
        "Very bad experience.",
        "Really annoyed.",
        "Unfortunately,",
        "Honestly,",
        "What a disappointment.",
        "Never again.",
        "I'm writing because",
        "Awful experience with {brand}.",
    ),
    ("neutral", "en"): (
        "Hi.",
        "Well,",
        "Overall,",
        "Mixed feelings.",
        "It was okay.",
        "So-so.",
        "Some things to improve:",
        "No big complaints.",
    ),
}

_CLOSINGS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("positive", "es"): (
        "¡Gracias!",
        "Muchas gracias.",
        "Volveré a comprar.",
        "Recomendado 100%.",
        "Súper recomendable.",
        "Sigan así.",
        "Gracias {brand}.",
        "Cliente feliz.",
        "Los recomiendo.",
        "Seguiré comprando con ustedes.",
    ),
    ("negative", "es"): (
        "No vuelvo a comprar.",
        "Espero una respuesta.",
        "Espero que lo solucionen.",
        "Pésimo servicio.",
        "No los recomiendo.",
        "Muy decepcionad{o}.",
        "Quiero una solución ya.",
        "Una vergüenza.",
        "Nunca más compro acá.",
        "Nunca más compro aquí.",
    ),
    ("neutral", "es"): (
        "Saludos.",
        "Gracias.",
        "Espero que mejoren.",
        "Nada más.",
        "A mejorar.",
        "Veremos la próxima.",
        "Por lo demás, todo bien.",
    ),
    ("positive", "en"): (
        "Thanks!",
        "Thank you so much.",
        "Will buy again.",
        "Highly recommend.",
        "Keep it up.",
        "Thanks {brand}.",
        "Happy customer.",
    ),
    ("negative", "en"): (
        "Never buying again.",
        "I expect an answer.",
        "Please fix this.",
        "Terrible service.",
        "Would not recommend.",
        "Very disappointed.",
        "I want a solution now.",
    ),
    ("neutral", "en"): (
        "Regards.",
        "Thanks.",
        "Hope you improve.",
        "That's all.",
        "Room for improvement.",
        "We'll see next time.",
        "Otherwise all good.",
    ),
}

# Remarks about the agent, added when a name is given and the core does not mention it.
_AGENT_REMARKS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("positive", "es"): (
        "{agent} me atendió muy bien",
        "Muy amable {agent}",
        "Gracias a {agent} por la paciencia",
        "{agent} fue un sol",
        "Destaco la atención de {agent}",
        "{agent} me ayudó en todo",
    ),
    ("negative", "es"): (
        "{agent} no tenía idea de nada",
        "{agent} me cortó la llamada",
        "{agent} me contestó de mala gana",
        "{agent} no me dio ninguna solución",
        "La atención de {agent} dejó mucho que desear",
    ),
    ("neutral", "es"): (
        "Me atendió {agent}",
        "{agent} tomó mis datos",
        "Hablé con {agent}",
        "{agent} me derivó a otra área",
    ),
    ("positive", "en"): (
        "{agent} was very kind",
        "Thanks to {agent} for the patience",
        "{agent} helped me with everything",
        "Special mention to {agent}",
    ),
    ("negative", "en"): (
        "{agent} had no idea what to do",
        "{agent} hung up on me",
        "{agent} was really dismissive",
        "{agent} gave me no solution",
    ),
    ("neutral", "en"): (
        "{agent} took my details",
        "I spoke with {agent}",
        "{agent} transferred me to another department",
    ),
}

# Lead-ins that name the product.
_PRODUCT_LEADS: Final[Mapping[str, tuple[str, ...]]] = {
    "es": (
        "Compré {el_product} por la web.",
        "Pedido {order}: {product}.",
        "Sobre la compra {del_product}:",
        "Hace {weeks} semanas compré {el_product}.",
        "Compré {el_product} en {store}.",
        "Producto: {product}.",
        "Compré {el_product} para regalar.",
        "Pedí {el_product} desde la app.",
    ),
    "en": (
        "Bought {el_product} on the website.",
        "Order {order}: {product}.",
        "About the {product}:",
        "I bought {el_product} {weeks} weeks ago.",
        "Bought {el_product} at {store}.",
        "Product: {product}.",
        "Ordered {el_product} through the app.",
    ),
}

# Connectors for a second clause about another topic: (relation, polarity of the clause, language).
_LINKS: Final[Mapping[tuple[str, str, str], tuple[str, ...]]] = {
    ("more", "positive", "es"): ("Además, ", "También ", "Y ", "Encima ", "Aparte, "),
    ("more", "negative", "es"): ("Además, ", "Y encima ", "Para colmo, ", "Encima ", "Y ", "Aparte, "),
    ("but", "positive", "es"): ("Lo único bueno: ", "Eso sí, ", "Al menos ", "Rescato esto: ", "Lo bueno: "),
    ("but", "negative", "es"): (
        "Lo único malo: ",
        "Pero ",
        "Eso sí, ",
        "Como punto a mejorar: ",
        "Lo que no me gustó: ",
        "Lo malo: ",
    ),
    ("more", "positive", "en"): ("Also, ", "Plus, ", "And ", "On top of that, "),
    ("more", "negative", "en"): ("Also, ", "And on top of that, ", "To make it worse, ", "Plus, ", "And "),
    ("but", "positive", "en"): ("The only good thing: ", "That said, ", "At least ", "On the plus side, "),
    ("but", "negative", "en"): (
        "Only downside: ",
        "But ",
        "That said, ",
        "One thing to improve: ",
        "The bad part: ",
    ),
}

_CHANNEL_LEADS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("phone", "es"): ("Llamé al call center.", "Hablé por teléfono con ustedes.", "Llamé a la línea de atención."),
    ("whatsapp", "es"): ("Escribí por WhatsApp.", "Les hablé por WhatsApp."),
    ("chat", "es"): ("Entré al chat de la web.", "Hablé por el chat."),
    ("email", "es"): ("Mandé un correo.", "Les escribí un mail."),
    ("store", "es"): ("Fui a la tienda.", "Fui a {store}."),
    ("web", "es"): ("Compré por la web.", "Hice el pedido en la página."),
    ("app", "es"): ("Compré desde la app.", "Hice el pedido por la app."),
    ("social", "es"): ("Les escribí por Facebook.", "Les mandé mensaje por redes."),
    ("phone", "en"): ("I called customer service.", "Spoke to you on the phone."),
    ("whatsapp", "en"): ("I wrote on WhatsApp.", "Messaged you on WhatsApp."),
    ("chat", "en"): ("Used the website chat.", "Talked to you on chat."),
    ("email", "en"): ("I sent an email.", "Emailed customer service."),
    ("store", "en"): ("Went to the store.", "Went to {store}."),
    ("web", "en"): ("Bought on the website.", "Placed the order online."),
    ("app", "en"): ("Bought through the app.", "Ordered in the app."),
    ("social", "en"): ("Messaged you on Facebook.", "Contacted you on social media."),
}

# Substrings of a channel key → channel kind (first match wins).
_CHANNEL_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("whats", "whatsapp"),
    ("chat", "chat"),
    ("mail", "email"),
    ("correo", "email"),
    ("phone", "phone"),
    ("tel", "phone"),
    ("call", "phone"),
    ("store", "store"),
    ("tienda", "store"),
    ("sucursal", "store"),
    ("app", "app"),
    ("web", "web"),
    ("online", "web"),
    ("social", "social"),
    ("facebook", "social"),
    ("instagram", "social"),
)

_EMOJIS: Final[Mapping[str, tuple[str, ...]]] = {
    "positive": ("😊", "👍", "🙌", "❤️", "👏", "⭐⭐⭐⭐⭐", "💯"),
    "negative": ("😡", "😤", "👎", "🤬", "😞", "😠"),
    "neutral": ("🤷", "😐", "🙂"),
}

# (bare, with article, with "de" + article) for comments whose product is not given.
_GENERIC_PRODUCTS: Final[Mapping[str, tuple[tuple[str, str, str], ...]]] = {
    "es": (
        ("lavadora", "la lavadora", "de la lavadora"),
        ("refrigerador", "el refrigerador", "del refrigerador"),
        ("pantalla", "la pantalla", "de la pantalla"),
        ("laptop", "la laptop", "de la laptop"),
        ("estufa", "la estufa", "de la estufa"),
        ("bocina", "la bocina", "de la bocina"),
        ("minisplit", "el minisplit", "del minisplit"),
        ("heladera", "la heladera", "de la heladera"),
        ("nevera", "la nevera", "de la nevera"),
        ("televisor", "el televisor", "del televisor"),
        ("smart TV", "la smart TV", "de la smart TV"),
        ("celular", "el celular", "del celular"),
        ("móvil", "el móvil", "del móvil"),
        ("microondas", "el microondas", "del microondas"),
        ("notebook", "la notebook", "de la notebook"),
        ("portátil", "el portátil", "del portátil"),
        ("freidora de aire", "la freidora de aire", "de la freidora de aire"),
        ("aspiradora", "la aspiradora", "de la aspiradora"),
        ("aire acondicionado", "el aire acondicionado", "del aire acondicionado"),
        ("cafetera", "la cafetera", "de la cafetera"),
        ("horno eléctrico", "el horno eléctrico", "del horno eléctrico"),
        ("tablet", "la tablet", "de la tablet"),
        ("secadora", "la secadora", "de la secadora"),
        ("licuadora", "la licuadora", "de la licuadora"),
        ("lavavajillas", "el lavavajillas", "del lavavajillas"),
        ("barra de sonido", "la barra de sonido", "de la barra de sonido"),
    ),
    "en": (
        ("washing machine", "the washing machine", "of the washing machine"),
        ("fridge", "the fridge", "of the fridge"),
        ("TV", "the TV", "of the TV"),
        ("phone", "the phone", "of the phone"),
        ("microwave", "the microwave", "of the microwave"),
        ("laptop", "the laptop", "of the laptop"),
        ("air fryer", "the air fryer", "of the air fryer"),
        ("vacuum cleaner", "the vacuum cleaner", "of the vacuum cleaner"),
        ("air conditioner", "the air conditioner", "of the air conditioner"),
        ("coffee maker", "the coffee maker", "of the coffee maker"),
        ("tablet", "the tablet", "of the tablet"),
        ("dishwasher", "the dishwasher", "of the dishwasher"),
        ("soundbar", "the soundbar", "of the soundbar"),
    ),
}

_GENERIC_AGENTS: Final[Mapping[str, tuple[str, ...]]] = {
    "es": (
        "el asesor",
        "la asesora",
        "el operador",
        "la operadora",
        "la chica del call center",
        "el chico de la tienda",
        "el vendedor",
        "la vendedora",
    ),
    "en": ("the agent", "the rep", "the guy at the store", "the lady on the phone", "the salesperson"),
}

# First words of Spanish product names whose gender does not follow the final "-a" rule.
_FEMININE_WORDS: Final = frozenset(
    {"tablet", "notebook", "laptop", "smart", "tv", "tele", "pava", "cocina", "plancha", "consola", "impresora"}
)
_MASCULINE_WORDS: Final = frozenset(
    {
        "televisor",
        "celular",
        "móvil",
        "movil",
        "smartphone",
        "teléfono",
        "telefono",
        "microondas",
        "lavavajillas",
        "lavarropas",
        "lavaplatos",
        "portátil",
        "portatil",
        "horno",
        "aire",
        "ventilador",
        "refrigerador",
        "congelador",
        "secarropas",
        "monitor",
        "parlante",
        "altavoz",
        "robot",
        "sistema",
        "termo",
        "calefactor",
        "extractor",
        "anafe",
        "purificador",
        "exprimidor",
        "procesador",
        "reloj",
        "smartwatch",
        "minisplit",
        "refri",
        "auricular",
        "ordenador",
        "equipo",
        "combo",
        "kit",
        "pack",
    }
)
_PLURAL_MASCULINE_WORDS: Final = frozenset({"auriculares", "audífonos", "audifonos", "parlantes", "altavoces"})
_COMMON_NOUN_ENDINGS: Final = ("a", "or", "ar", "as", "es", "os", "ón", "on", "e", "o")

_WEEKDAYS: Final[Mapping[str, tuple[str, ...]]] = {
    "es": ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado", "el domingo"),
    "en": ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday"),
}
_STORES: Final[Mapping[str, tuple[str, ...]]] = {
    "es": (
        "la tienda del centro",
        "la sucursal de la plaza",
        "la tienda de la avenida",
        "la sucursal norte",
        "la tienda del centro comercial",
    ),
    "en": ("the downtown store", "the mall store", "the north branch", "the store on the avenue"),
}
_NUMBER_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    # index = number; only 2..10 are used
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
}
_MINUTES: Final = (15, 20, 25, 30, 35, 40, 45, 50, 60, 75, 90)
_PERCENTS: Final = (10, 15, 20, 25, 30, 40, 50)

# Chat shorthand, applied to whole words (with the surrounding spaces).
_SHORTHAND: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "es": ((" que ", " q "), (" porque ", " xq "), (" también ", " tmb "), (" por favor", " porfa")),
    "en": ((" you ", " u "), (" because ", " bc "), (" thanks", " thx"), (" please", " pls")),
}
_STRIP_ACCENTS: Final = str.maketrans("áéíóúÁÉÍÓÚü", "aeiouAEIOUu", "¿¡")

# Probabilities.
_P_SHORT: Final = 0.16
_P_OPENING: Final = 0.5
_P_CHANNEL: Final = 0.35
_P_PRODUCT_LEAD: Final = 0.6
_P_PRODUCT_LEAD_GENERIC: Final = 0.08
_P_DETAIL: Final = 0.45
_P_AGENT: Final = 0.65
_P_AGENT_GENERIC: Final = 0.04
_P_SECOND: Final = 0.25
_P_CLOSING: Final = 0.4
_P_SHORTHAND: Final = 0.06
_P_NO_ACCENTS: Final = 0.15
_P_TYPO: Final = 0.08
_P_LOWER: Final = 0.12
_P_EMOJI: Final = 0.03

# Index of each uniform in a comment's block of draws.
(
    _U_SHORT,
    _U_OPENING,
    _U_CHANNEL,
    _U_PRODUCT,
    _U_CORE,
    _U_DETAIL,
    _U_DETAIL_JOIN,
    _U_AGENT,
    _U_AGENT_POLARITY,
    _U_SECOND,
    _U_SECOND_POLARITY,
    _U_SECOND_SHORT,
    _U_LINK,
    _U_CLOSING,
    _U_SHORTHAND,
    _U_ACCENTS,
    _U_TYPO,
    _U_TYPO_EDIT,
    _U_LOWER,
    _U_ENDING,
    _U_EMOJI,
    _U_GENERIC_PRODUCT,
    _U_GENERIC_AGENT,
    _U_FILL,
) = range(24)
_N_FILL: Final = 8
_DRAWS: Final = _U_FILL + _N_FILL

_PRODUCT_SENTINEL: Final = "\x01"  # the product name as given
_PRODUCT_LOWER_SENTINEL: Final = "\x03"  # the name with its first word lowercased (after an article)
_AGENT_SENTINEL: Final = "\x02"

_Template = tuple[str, tuple[str, ...]]
_FIELDS: Final = frozenset(
    {
        "order",
        "ticket",
        "days",
        "weeks",
        "minutes",
        "quick",
        "times",
        "amount",
        "pct",
        "weekday",
        "store",
        "brand",
        "product",
        "el_product",
        "del_product",
        "agent",
        "o",
    }
)
_PRODUCT_FIELDS: Final = frozenset({"product", "el_product", "del_product"})


def _compile(template: str) -> _Template:
    fields: list[str] = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        if name not in _FIELDS:
            raise ValueError(f"unknown slot {{{name}}} in template {template!r}")
        if name not in fields:
            fields.append(name)
    return template, tuple(fields)


def _compile_all(templates: Sequence[str]) -> tuple[_Template, ...]:
    return tuple(_compile(t) for t in templates)


class _CompiledBank(NamedTuple):
    cores: tuple[_Template, ...]
    details: tuple[_Template, ...]
    shorts: tuple[_Template, ...]


_COMPILED: Final[dict[tuple[str, str, str], _CompiledBank]] = {
    (topic, polarity, language): _CompiledBank(
        _compile_all(bank.cores), _compile_all(bank.details), _compile_all(bank.shorts)
    )
    for topic, banks in _BANKS.items()
    for (polarity, language), bank in banks.items()
}
_C_OPENINGS: Final = {key: _compile_all(v) for key, v in _OPENINGS.items()}
_C_CLOSINGS: Final = {key: _compile_all(v) for key, v in _CLOSINGS.items()}
_C_AGENT_REMARKS: Final = {key: _compile_all(v) for key, v in _AGENT_REMARKS.items()}
_C_PRODUCT_LEADS: Final = {key: _compile_all(v) for key, v in _PRODUCT_LEADS.items()}
_C_CHANNEL_LEADS: Final = {key: _compile_all(v) for key, v in _CHANNEL_LEADS.items()}

_RUN_ON_ENDINGS: Final = (",", ":", " y", " and", "porque", "because")
_GREETINGS: Final = ("Hola", "Hi", "Buenas")
_OTHER_TOPICS: Final = {topic: tuple(t for t in TOPICS if t != topic) for topic in TOPICS}


def _check_tables() -> None:
    for topic in TOPICS:
        for polarity in POLARITIES:
            for language in LANGUAGES:
                bank = _COMPILED.get((topic, polarity, language))
                if bank is None or not (bank.cores and bank.details and bank.shorts):
                    raise RuntimeError(f"missing texts for {topic}/{polarity}/{language}")


_check_tables()


# --------------------------------------------------------------------------------------------------
# Slot filling
# --------------------------------------------------------------------------------------------------


def _count(x: float, low: int, high: int, language: str) -> str:
    """A whole number in [low, high], in words for small values about half of the time."""
    v = x * (high - low + 1)
    n = low + int(v)
    if n <= 10 and v - int(v) < 0.5:
        return _NUMBER_WORDS[language][n]
    return str(n)


def _amount(x: float, language: str) -> str:
    """An amount in Mexican pesos, as people write it: "$4,599", "$1,250 pesos", "850 pesos"."""
    n = 50 * int(3 + x * x * 500)  # 150 .. 25,150, mostly small
    if n >= 1000 and int(x * 1000) % 2:
        n -= 1  # $4,599-style prices
    if language == "en":
        return f"${n:,}" if x < 0.7 else f"{n:,} pesos"
    if x < 0.6:
        return f"${n:,}"
    return f"${n:,} pesos" if x < 0.8 else f"{n:,} pesos"


def _fill_value(field: str, x: float, language: str) -> str:
    if field == "order":
        return str(10000 + int(x * 90000))
    if field == "days":
        return _count(x, 2, 21, language)
    if field == "minutes":
        return str(_MINUTES[int(x * len(_MINUTES))])
    if field == "times":
        return _NUMBER_WORDS[language][3 + int(x * 5)]
    if field == "weeks":
        return _count(x, 2, 6, language)
    if field == "amount":
        return _amount(x, language)
    if field == "weekday":
        return _WEEKDAYS[language][int(x * 7)]
    if field == "quick":
        return _count(x, 2, 5, language)
    if field == "pct":
        return str(_PERCENTS[int(x * len(_PERCENTS))])
    if field == "ticket":
        return str(100000 + int(x * 900000))
    if field == "store":
        stores = _STORES[language]
        return stores[int(x * len(stores))]
    if field == "brand":
        return BRAND
    if field == "o":  # the customer's grammatical gender: "molest{o}", "escuchad{o}"
        return "o" if x < 0.5 else "a"
    raise AssertionError(field)  # pragma: no cover - product and agent are filled up front


@lru_cache(maxsize=4096)
def _product_forms(name: str, language: str) -> tuple[str, str, str]:
    """(bare, with article, with "de" + article) forms of a given product name, as sentinels."""
    bare = _PRODUCT_SENTINEL
    if language == "en":
        return bare, "the " + bare, "of the " + bare
    word = name.split(" ", 1)[0]
    first = word.lower()
    # A capitalised ordinary noun ("Lavadora EcoWash") is lowercased after the article;
    # brand-like words ("iPhone", "TV", "EcoWash") are kept as they are.
    common = (word.istitle() or word.islower()) and (
        first in _FEMININE_WORDS
        or first in _MASCULINE_WORDS
        or first in _PLURAL_MASCULINE_WORDS
        or (word.isalpha() and first.endswith(_COMMON_NOUN_ENDINGS))
    )
    named = _PRODUCT_LOWER_SENTINEL if common else _PRODUCT_SENTINEL
    if first in _PLURAL_MASCULINE_WORDS:
        return bare, "los " + named, "de los " + named
    if first in _FEMININE_WORDS or (first not in _MASCULINE_WORDS and first.endswith(("a", "ción", "dad"))):
        return bare, "la " + named, "de la " + named
    return bare, "el " + named, "del " + named


@lru_cache(maxsize=4096)
def _lower_first_word(name: str) -> str:
    head, sep, tail = name.partition(" ")
    return head.lower() + sep + tail


def _channel_kind(channel: str) -> str | None:
    key = channel.lower()
    for needle, kind in _CHANNEL_KINDS:
        if needle in key:
            return kind
    return None


def _render(template: _Template, u: Sequence[float], slot: list[int], values: dict[str, str], lang: str) -> str:
    text, fields = template
    if not fields:
        return text
    for field in fields:
        if field not in values:
            values[field] = _fill_value(field, u[_U_FILL + slot[0] % _N_FILL], lang)
            slot[0] += 1
    return text.format_map(values)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:] if text and text[0].islower() else text


def _decap(text: str) -> str:
    if text.startswith(("I ", "I'")) or (len(text) > 1 and text[1].isupper()):
        return text
    return text[0].lower() + text[1:] if text else text


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def _typo(text: str, x: float, y: float) -> str:
    words = text.split(" ")
    i = int(x * len(words))
    word = words[i]
    if len(word) < 5 or not word.isalpha():
        return text
    j = 1 + int(y * (len(word) - 2))
    edit = int(y * 3000) % 3
    if edit == 0:  # dropped letter
        word = word[:j] + word[j + 1 :]
    elif edit == 1:  # swapped letters
        word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
    else:  # doubled letter
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


# --------------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------------


def _compose(
    u: Sequence[float],
    topic: str,
    polarity: str,
    language: str,
    product: str | None,
    agent: str | None,
    channel: str | None,
) -> str:
    bank = _COMPILED[(topic, polarity, language)]
    slot = [0]
    values: dict[str, str] = {}
    if product:
        values["product"], values["el_product"], values["del_product"] = _product_forms(product, language)
    else:
        generics = _GENERIC_PRODUCTS[language]
        values["product"], values["el_product"], values["del_product"] = generics[
            int(u[_U_GENERIC_PRODUCT] * len(generics))
        ]
    if agent:
        values["agent"] = _AGENT_SENTINEL
    else:
        agents = _GENERIC_AGENTS[language]
        values["agent"] = agents[int(u[_U_GENERIC_AGENT] * len(agents))]
    key = (polarity, language)

    x = u[_U_SHORT]
    if x < _P_SHORT:
        short = bank.shorts[int(x / _P_SHORT * len(bank.shorts))]
        text = _cap(_render(short, u, slot, values, language))
        if u[_U_CLOSING] < 0.25:
            closings = _C_CLOSINGS[key]
            text += ". " + _render(closings[int(u[_U_CLOSING] * 4 * len(closings))], u, slot, values, language)
        elif polarity == "negative" and u[_U_LOWER] > 0.93:
            text = text.upper()
        elif u[_U_ENDING] < 0.6:
            text += "."
    else:
        parts: list[str] = []
        run_on = False  # the previous piece runs on into the next one

        def add(piece: str) -> None:
            nonlocal run_on
            if run_on:
                parts[-1] += " " + _decap(piece)
            else:
                parts.append(_cap(piece))
            run_on = piece.endswith(_RUN_ON_ENDINGS)

        leads: list[str] = []
        if channel:
            x = u[_U_CHANNEL]
            kind = _channel_kind(channel) if x < _P_CHANNEL else None
            if kind is not None:
                channel_leads = _C_CHANNEL_LEADS[(kind, language)]
                leads.append(
                    _render(channel_leads[int(x / _P_CHANNEL * len(channel_leads))], u, slot, values, language)
                )
        core = bank.cores[int(u[_U_CORE] * len(bank.cores))]
        p_lead = _P_PRODUCT_LEAD if product else _P_PRODUCT_LEAD_GENERIC
        x = u[_U_PRODUCT]
        if x < p_lead and _PRODUCT_FIELDS.isdisjoint(core[1]):
            product_leads = _C_PRODUCT_LEADS[language]
            leads.append(_render(product_leads[int(x / p_lead * len(product_leads))], u, slot, values, language))
        x = u[_U_OPENING]
        if x < _P_OPENING:
            openings = _C_OPENINGS[key]
            opening = _render(openings[int(x / _P_OPENING * len(openings))], u, slot, values, language)
            # Greetings come first; run-on openings ("La verdad,", "Les cuento:") lead into the core
            # ("Pedido 48213: lavadora. La verdad, ..."); full sentences go first most of the time.
            if opening.startswith(_GREETINGS) or not (opening.endswith(_RUN_ON_ENDINGS) or x < _P_OPENING / 4):
                leads.insert(0, opening)
            else:
                leads.append(opening)
        for lead in leads:
            add(lead)
        add(_sentence(_render(core, u, slot, values, language)))

        x = u[_U_DETAIL]
        if x < _P_DETAIL:
            detail = _render(bank.details[int(x / _P_DETAIL * len(bank.details))], u, slot, values, language)
            if u[_U_DETAIL_JOIN] < 0.2 and parts[-1].endswith("."):
                parts[-1] = parts[-1][:-1] + ", " + _sentence(_decap(detail))
            else:
                add(_sentence(detail))

        x = u[_U_AGENT]
        if x < (_P_AGENT if agent else _P_AGENT_GENERIC) and "agent" not in core[1]:
            y = u[_U_AGENT_POLARITY]
            remark_polarity = polarity if y < 0.7 else POLARITIES[int((y - 0.7) / 0.3 * 3)]
            remarks = _C_AGENT_REMARKS[(remark_polarity, language)]
            remark = _render(remarks[int(x * 1000) % len(remarks)], u, slot, values, language)
            if remark_polarity != polarity and remark_polarity != "neutral":
                links = _LINKS[("but", remark_polarity, language)]
                remark = links[int(y * 1000) % len(links)] + _decap(remark)
            add(_sentence(remark))

        x = u[_U_SECOND]
        if x < _P_SECOND:
            others = _OTHER_TOPICS[topic]
            other = others[int(x / _P_SECOND * len(others))]
            y = u[_U_SECOND_POLARITY]
            if polarity == "neutral":
                other_polarity = "positive" if y < 0.5 else "negative"
            elif y < 0.6:
                other_polarity = polarity
            else:
                other_polarity = "negative" if polarity == "positive" else "positive"
            relation = "more" if other_polarity == polarity else "but"
            shorts = _COMPILED[(other, other_polarity, language)].shorts
            clause = _render(shorts[int(u[_U_SECOND_SHORT] * len(shorts))], u, slot, values, language)
            links = _LINKS[(relation, other_polarity, language)]
            add(_sentence(links[int(u[_U_LINK] * len(links))] + clause))

        x = u[_U_CLOSING]
        if x < _P_CLOSING:
            closings = _C_CLOSINGS[key]
            add(_render(closings[int(x / _P_CLOSING * len(closings))], u, slot, values, language))
        text = " ".join(parts)
        if run_on:  # an opening with nothing after it cannot happen, but keep the text well formed
            text = text.rstrip(",:") + "."

    if language == "es" and "el" in values["agent"]:
        text = text.replace(" de el ", " del ").replace(" a el ", " al ")

    # Noise: how people actually type.
    if u[_U_SHORTHAND] < (_P_SHORTHAND if language == "es" else _P_SHORTHAND / 2):
        for long_form, short_form in _SHORTHAND[language]:
            text = text.replace(long_form, short_form)
    if language == "es" and u[_U_ACCENTS] < _P_NO_ACCENTS:
        text = text.translate(_STRIP_ACCENTS)
    x = u[_U_TYPO]
    if x < _P_TYPO:
        text = _typo(text, x / _P_TYPO, u[_U_TYPO_EDIT])
    lower = u[_U_LOWER] < _P_LOWER
    if lower:
        text = text.lower()
    x = u[_U_ENDING]
    if text.endswith("."):
        if polarity != "neutral" and x < 0.22:
            text = text[:-1] + "!" * (1 + int(x * 100) % 3)
        elif x > 0.82:
            text = text[:-1]
    x = u[_U_EMOJI]
    if x < _P_EMOJI:
        emojis = _EMOJIS[polarity]
        text += " " + emojis[int(x / _P_EMOJI * len(emojis))]

    if product:
        if _PRODUCT_SENTINEL in text:
            text = text.replace(_PRODUCT_SENTINEL, product)
        if _PRODUCT_LOWER_SENTINEL in text:
            text = text.replace(_PRODUCT_LOWER_SENTINEL, _lower_first_word(product))
    if agent and _AGENT_SENTINEL in text:
        text = text.replace(_AGENT_SENTINEL, agent.lower() if lower and u[_U_TYPO_EDIT] < 0.5 else agent)
    return text


def _validate(topic: str, polarity: str, language: str) -> None:
    if topic not in _BANKS:
        raise ValueError(f"unknown topic {topic!r}; expected one of {', '.join(TOPICS)}")
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; expected one of {', '.join(POLARITIES)}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")


def compose_comment(
    rng: np.random.Generator,
    *,
    topic: str,
    polarity: Polarity,
    language: Language,
    product: str | None = None,
    agent: str | None = None,
    channel: str | None = None,
) -> str:
    """One customer comment about ``topic`` with the given polarity, in ``language``.

    ``product`` and ``agent`` (a first name) are mentioned in a good share of the
    comments when given; ``channel`` (e.g. "phone", "whatsapp", "store") sometimes
    adds a lead-in about how the customer got in touch.  Consumes a fixed number of
    draws from ``rng``; raises ``ValueError`` for an unknown topic, polarity or language.
    """
    _validate(topic, polarity, language)
    u: list[float] = rng.random(_DRAWS).tolist()
    return _compose(u, topic, polarity, language, product, agent, channel)


_CHUNK: Final = 8192


def compose_comments(
    rng: np.random.Generator,
    topics: Sequence[str],
    polarities: Sequence[str],
    languages: Sequence[str],
    products: Sequence[str | None],
    agents: Sequence[str | None],
) -> list[str]:
    """Many comments at once; element ``i`` is built from ``topics[i]``, ``polarities[i]``, ...

    Gives the same texts as calling :func:`compose_comment` in a loop on the same
    generator (without channels), only faster.
    """
    n = len(topics)
    lengths = {
        "polarities": len(polarities),
        "languages": len(languages),
        "products": len(products),
        "agents": len(agents),
    }
    for name, length in lengths.items():
        if length != n:
            raise ValueError(f"{name} has {length} items but topics has {n}")
    out: list[str] = []
    append = out.append
    compiled = _COMPILED
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        block: list[list[float]] = rng.random((stop - start, _DRAWS)).tolist()
        for i in range(start, stop):
            topic, polarity, language = topics[i], polarities[i], languages[i]
            if (topic, polarity, language) not in compiled:
                _validate(topic, polarity, language)
            append(_compose(block[i - start], topic, polarity, language, products[i], agents[i], None))
    return out
