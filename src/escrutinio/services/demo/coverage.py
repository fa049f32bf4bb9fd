"""The demo night's live coverage: what a newsroom desk might post, from before the polls close
to the small hours, interleaved by the replay with the entries of the bulletins themselves.

Written for this project. Times and facts follow the night of 2 December 2007 (polls due to close
at 16:00 with tables kept open for queues, unconfirmed figures in the evening, the first bulletin
at 01:07); one figure is corrected in the open, one rumour is withdrawn and leaves a tombstone, and
the agencies' 20:20 claim hangs on its entry, judged against the quick count and then each bulletin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ...domain.timeline import KEY, NOTE
from ...store import Store
from .. import timeline
from .generate import local

DESK = "Redacción (demo)"


@dataclass(frozen=True)
class Post:
    at: dt.datetime
    name: str  # how later changes refer to it
    body: str
    kind: str = NOTE
    pinned: bool = False
    media_url: str | None = None
    media_title: str | None = None


@dataclass(frozen=True)
class Edit:
    at: dt.datetime
    name: str
    body: str
    reason: str


@dataclass(frozen=True)
class Pin:
    at: dt.datetime
    name: str
    pinned: bool


@dataclass(frozen=True)
class Delete:
    at: dt.datetime
    name: str
    reason: str


COVERAGE = (
    Post(local(2, 15, 30), "inicio",
         "Buenas tardes. Desde aquí seguimos la jornada del referendo sobre la reforma constitucional: dos "
         "preguntas en la misma papeleta, el **Bloque A** y el **Bloque B**, cada una con Sí o No."),
    Post(local(2, 15, 45), "filas",
         "En Caracas, Maracaibo y Valencia la mayoría de los centros tiene poca espera, pero en varias escuelas "
         "de barrios populares la fila todavía da la vuelta a la manzana."),
    Post(local(2, 16, 0), "cierre-oficial",
         "**Son las 16:00, la hora prevista de cierre.** Las mesas sin nadie esperando empiezan a escrutar. "
         "Donde queda gente en la fila, la mesa sigue abierta hasta que vote la última persona que ya estaba en "
         "ella.", kind=KEY),
    Post(local(2, 16, 20), "como-se-cuenta",
         "¿Por qué no hay cifras todavía? Cada mesa cuenta sus papeletas, firma el acta y la transmite. Aquí "
         "no publicamos sumas sueltas: los resultados llegan en **boletines numerados**, cada uno encadenado "
         "al anterior, y cada boletín aparecerá en esta cobertura en cuanto se publique."),
    Post(local(2, 16, 47), "cierre-cne",
         "**El CNE da por cerrado el proceso de votación**, con una salvedad: las mesas que todavía tengan "
         "electores en cola deben seguir abiertas hasta que todos hayan votado.", kind=KEY, pinned=True),
    Post(local(2, 17, 10), "reglas",
         "Quien quiera comprobar una mesa concreta puede buscar su acta en la página de la mesa: cifras, "
         "firma e historial.", media_url="http://www.cne.gob.ve/", media_title="Consejo Nacional Electoral"),
    Post(local(2, 17, 40), "primeras-actas",
         "Entran las primeras actas en la sala de totalización. Las que no cuadran —por ejemplo, más "
         "papeletas que electores inscritos— quedan *observadas*: no se suman, y se muestran con su motivo."),
    Post(local(2, 18, 15), "incidentes",
         "Balance de la jornada según las autoridades: incidentes aislados en varios estados y 64 personas "
         "detenidas. Ninguno obligó a cerrar un centro de votación."),
    Edit(local(2, 18, 40), "incidentes",
         "Balance de la jornada según las autoridades: incidentes aislados en varios estados y 46 personas "
         "detenidas. Ninguno obligó a cerrar un centro de votación.",
         "Habíamos escrito 64 detenidos; la cifra oficial es 46. Error de transcripción nuestro."),
    Post(local(2, 18, 55), "observadores",
         "Un rector del CNE cifra la observación en más de un centenar de observadores internacionales, unos "
         "2.000 nacionales y cerca de 3.000 periodistas acreditados."),
    Post(local(2, 19, 30), "mesas-abiertas",
         "Aún quedan mesas abiertas por las filas, sobre todo en el Zulia y en el Distrito Capital. Mientras "
         "haya mesas votando no saldrá el primer boletín."),
    Post(local(2, 20, 20), "agencias",
         "Agencias internacionales citan cifras no oficiales que darían al Sí una ventaja de entre seis y ocho "
         "puntos. No hay boletín: anotamos la afirmación y la contrastamos con el conteo rápido de los "
         "observadores y con cada boletín en cuanto salga."),
    Post(local(2, 20, 40), "miraflores",
         "Simpatizantes del Sí empiezan a reunirse frente al palacio de Miraflores. Dirigentes estudiantiles "
         "del No piden a sus testigos que no se muevan de los centros hasta el final del escrutinio."),
    Post(local(2, 21, 5), "rumor",
         "Circula por mensajes de texto que el CNE habría suspendido la totalización en varios estados."),
    Delete(local(2, 21, 20), "rumor",
           "Sin fuente oficial: la totalización sigue. En esta cobertura solo damos resultados de boletines "
           "publicados."),
    Post(local(2, 21, 30), "espera",
         "Sigue sin haber boletín. En la sala se revisan las actas observadas y las mesas con dos actas "
         "distintas para la misma pregunta, que quedan en conflicto hasta que un operador decide, por escrito."),
    Post(local(2, 22, 45), "ritmo",
         "Las actas urbanas llegan a buen ritmo. Amazonas y Delta Amacuro, con mesas a horas de río, serán "
         "como siempre las últimas en reportar."),
    Post(local(2, 23, 30), "general-retirado",
         "Un general retirado que hizo campaña por el No pide al CNE que se reúna con los dos comandos antes "
         "de anunciar nada. El organismo no responde por ahora."),
    Post(local(3, 0, 15), "medianoche",
         "Pasada la medianoche, todavía sin cifras. Los dos comandos piden calma a sus seguidores."),
    Post(local(3, 0, 50), "inminente",
         "Fuentes de la sala de totalización dicen que el primer boletín está a punto de salir."),
    Post(local(3, 1, 10), "resultado",
         "**Primer boletín: el No gana en los dos bloques.** Bloque A: No 50,70 %, Sí 49,29 %. Bloque B: "
         "No 51,05 %, Sí 48,94 %. Con cerca del 88 % de las actas escrutadas, el CNE califica la tendencia de "
         "*irreversible*.", kind=KEY, pinned=True),
    Pin(local(3, 1, 10), "cierre-cne", False),
    Post(local(3, 1, 25), "participacion",
         "Más de nueve millones de papeletas escrutadas en este corte; la abstención sobre el registro total "
         "queda en torno al 44 %."),
    Post(local(3, 1, 40), "reconocimiento",
         "El presidente reconoce el resultado en cadena nacional. Dice que la propuesta no prosperó «por "
         "ahora» y que seguirá defendiéndola.", kind=KEY),
    Post(local(3, 2, 5), "oposicion",
         "Dirigentes de la oposición celebran con prudencia y llaman a la reconciliación nacional."),
    Post(local(3, 2, 30), "detalle",
         "Detalle del Bloque A en el [boletín 1](/bulletins/1): 4.504.354 votos por el No, 4.379.392 por el "
         "Sí y 118.693 nulos. Cada estado, municipio y mesa tiene su página."),
    Post(local(3, 2, 50), "comparacion",
         "Frente a la presidencial de 2006 el No apenas suma votos; lo que cambia es que cerca de tres "
         "millones de electores del oficialismo no fueron a votar."),
    Post(local(3, 3, 0), "cierre",
         "Cerramos la cobertura de esta noche. Las actas que faltan siguen llegando y el próximo boletín está "
         "previsto para las 03:30; aparecerá aquí solo. Gracias por acompañarnos."),
)


def play(store: Store, item: Post | Edit | Pin | Delete, written: dict[str, int]) -> None:
    """Write one item of the coverage at its time; ``written`` maps names to the entries posted."""
    at = item.at.astimezone(dt.timezone.utc)
    if isinstance(item, Post):
        entry = timeline.post_entry(store, item.body, author=DESK, kind=item.kind, pinned=item.pinned,
                                    media_url=item.media_url, media_title=item.media_title, now=at)
        written[item.name] = entry.id
    elif isinstance(item, Edit):
        timeline.edit_entry(store, written[item.name], editor=DESK, body=item.body, reason=item.reason, now=at)
    elif isinstance(item, Pin):
        timeline.pin_entry(store, written[item.name], item.pinned, editor=DESK, now=at)
    else:
        timeline.delete_entry(store, written[item.name], editor=DESK, reason=item.reason, now=at)
