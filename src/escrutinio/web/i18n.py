"""Languages of the site: UI strings per language, numbers and dates by Babel in the election's locale."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

LANGUAGES = {"es": "Español", "en": "English"}

MESSAGES = {
    "es": {
        "Home": "Inicio", "Areas": "Áreas", "Bulletins": "Boletines", "Bulletin": "Boletín",
        "Language": "Idioma", "cut-off": "corte", "Valid votes": "Votos válidos", "Null": "Nulos",
        "Blank": "Blancos", "Ballots cast": "Votos escrutados", "Votes": "Votos", "Option": "Opción",
        "Turnout": "Participación", "Abstention": "Abstención", "over the whole register": "sobre el registro total",
        "over counted tables": "sobre las mesas escrutadas", "Tables": "Mesas", "expected": "previstas",
        "received": "recibidas", "counted": "escrutadas", "quarantined": "observadas", "conflict": "en conflicto",
        "not_received": "no recibida", "Registered voters": "Electores inscritos",
        "of the register at counted tables": "del registro en mesas escrutadas",
        "Decided": "Decidido", "Not yet decided": "Aún no decidido",
        "leads by": "aventaja por", "ballots still possible at tables not counted":
            "votos aún posibles en mesas no escrutadas",
        "that open conflicts could move": "que los conflictos abiertos podrían mover",
        "No single leader": "Sin un único líder", "Percent rule": "Regla de porcentajes",
        "truncate": "truncados", "half_up": "redondeados", "decimals": "decimales",
        "exact counts beside them": "con los conteos exactos al lado",
        "No bulletin published yet.": "Aún no se ha publicado ningún boletín.",
        "Map": "Mapa", "Leading option": "Opción en cabeza", "margin": "margen", "points": "puntos",
        "Area": "Área", "Centre": "Centro", "centre": "centro", "Table": "Mesa", "Status": "Estado",
        "Acta": "Acta", "Actas": "Actas", "History": "Historial", "Reasons": "Motivos",
        "received at": "recibida el", "Source": "Origen", "What changed since bulletin":
            "Qué cambió desde el boletín", "Changes": "Cambios", "No change.": "Sin cambios.",
        "Figure": "Cifra", "Before": "Antes", "After": "Después", "Hash": "Hash", "Previous": "Anterior",
        "Print": "Imprimir", "JSON": "JSON", "CSV": "CSV", "Download": "Descargar",
        "Page not found": "Página no encontrada", "Error": "Error", "Back to the results":
            "Volver a los resultados", "published": "publicado", "New bulletin": "Nuevo boletín",
        "Live updates": "Actualización en vivo", "counted": "escrutadas", "Children": "Subdivisiones",
        "Results by": "Resultados por", "of": "de", "This table has no acta yet.": "Esta mesa aún no tiene acta.",
        "Status of tables": "Estado de las mesas", "Registered": "Inscritos", "Contest": "Consulta",
        "registered voters": "electores inscritos", "Results": "Resultados", "Progress": "Avance",
        "share": "porcentaje", "bulletin list": "lista de boletines", "Latest bulletin": "Último boletín",
        "status_annulled": "anulada", "How to verify this acta": "Cómo verificar esta acta", "Acta id": "Id del acta",
        "Signature of the table": "Firma de la mesa", "none (unsigned mode)": "ninguna (modo sin firmas)",
        "Position in the public log": "Posición en el registro público", "inclusion proof": "prueba de inclusión",
        "verify_acta_help": "La prueba de inclusión (RFC 9162) enlaza esta acta con la raíz del registro que firma "
                            "cada boletín; la firma Ed25519 de la mesa cubre sus cifras. Raíz actual:",
        "Unsigned mode": "Modo sin firmas",
        "unsigned_help": "esta elección acepta actas sin la firma de su mesa (solo para demostraciones, pruebas o "
                         "datos importados). Una noche real exige actas firmadas.",
        "status_counted": "escrutada", "status_quarantined": "observada", "status_conflict": "en conflicto",
        "status_not_received": "no recibida", "status_set_aside": "descartada", "status_conflicting":
            "en conflicto",
        "Main menu": "Menú principal", "Skip to content": "Saltar al contenido", "leading": "en cabeza",
        "no results": "sin resultados",
        "The darker the colour, the wider the margin.": "Cuanto más oscuro el color, mayor es el margen.",
        "Registered voters at counted tables": "Electores inscritos en mesas escrutadas",
        "Share of the register at counted tables": "Porcentaje del registro en mesas escrutadas",
        "Abstainers": "Abstencionistas", "Lead": "Ventaja", "Tables in conflict": "Mesas en conflicto",
        "Ballots still possible at tables not counted": "Votos aún posibles en mesas no escrutadas",
        "Ballots open conflicts could move": "Votos que los conflictos abiertos podrían mover",
        "yes": "sí", "no": "no",
        "There is no page at this address: the area, table or bulletin may not exist.":
            "No hay ninguna página en esta dirección: puede que el área, la mesa o el boletín no existan.",
        # the live coverage timeline
        "Live coverage": "Cobertura en vivo", "Key events": "Momentos clave", "Key event": "Momento clave",
        "Pinned": "Fijada", "updated at": "actualizada a las", "What changed": "Qué cambió",
        "action_posted": "publicada", "action_edited": "corregida", "action_pinned": "fijada arriba",
        "action_unpinned": "ya no fijada", "action_deleted": "retirada", "Reason": "Motivo",
        "This entry was withdrawn": "Esta entrada fue retirada", "at": "a las",
        "new_updates_one": "{n} actualización nueva", "new_updates_many": "{n} actualizaciones nuevas",
        "show_new_one": "Mostrar {n} actualización nueva", "show_new_many": "Mostrar {n} actualizaciones nuevas",
        "Comments": "Comentarios", "Comment": "Comentar", "Your name": "Tu nombre",
        "Your comment": "Tu comentario", "Send": "Enviar",
        "comment_help": "Un editor lee cada comentario antes de mostrarlo.",
        "comment_pending": "Gracias. Tu comentario se mostrará cuando un editor lo apruebe.",
        "No entries yet.": "Aún no hay entradas.", "Full coverage": "Toda la cobertura",
        "Atom feed": "Canal Atom", "by": "por", "tables counted": "mesas escrutadas",
        "removed": "quitado", "added": "añadido", "Entries": "Entradas", "Entry": "Entrada",
        "Timeline": "En vivo", "Bulletin published": "Boletín publicado",
        "Key replacements": "Cambios de clave", "previous key": "clave anterior", "new key": "clave nueva",
        "key_replacements_help": "La clave pública de esta mesa fue reemplazada después de registrarse. Cada "
                                 "cambio consta en el registro público con quién lo hizo y por qué; las actas "
                                 "anteriores se siguen verificando con la clave anterior.",
        "Outcome": "Resultado", "status_leading": "adelante", "status_decided": "decidido",
        "status_runoff": "segunda vuelta", "status_no_quorum": "sin quórum", "status_accepted": "aprobado",
        "status_rejected": "rechazado", "can no longer change": "ya no puede cambiar",
        "could still change": "aún puede cambiar", "decided": "decididos", "won": "ganados", "seats": "escaños",
        "Figures only: the verdict is given per": "Solo cifras: el resultado se da por",
    },
    "en": {"status_annulled": "annulled", "status_leading": "leading", "status_decided": "decided",
           "status_runoff": "runoff", "status_no_quorum": "no quorum", "status_accepted": "accepted",
           "status_rejected": "rejected",
           "key_replacements_help": "This table's public key was replaced after it was registered. Each change "
                                    "is in the public log with who made it and why; earlier actas are still "
                                    "checked with the previous key.",
           "verify_acta_help": "The inclusion proof (RFC 9162) links this acta to the log root that each bulletin "
                               "signs; the table's Ed25519 signature covers its figures. Current root:",
           "unsigned_help": "this election accepts actas without their table's signature (for demos, tests or "
                            "imported data only). A real night requires signed actas.",
           "status_counted": "counted", "status_quarantined": "quarantined", "status_conflict": "conflict",
           "status_not_received": "not received", "status_set_aside": "set aside",
           "status_conflicting": "conflicting", "not_received": "not received",
           "action_posted": "posted", "action_edited": "corrected", "action_pinned": "pinned",
           "action_unpinned": "unpinned", "action_deleted": "withdrawn",
           "new_updates_one": "{n} new update", "new_updates_many": "{n} new updates",
           "show_new_one": "Show {n} new update", "show_new_many": "Show {n} new updates",
           "comment_help": "An editor reads every comment before it is shown.",
           "comment_pending": "Thank you. Your comment will be shown once an editor approves it."},
}


class Language:
    """Translation and formatting for one language in the election's country."""

    def __init__(self, code: str, election_locale: str):
        self.code = code
        territory = Locale.parse(election_locale).territory
        try:
            self.locale = Locale.parse(f"{code}_{territory}") if territory else Locale.parse(code)
        except Exception:  # no such locale (e.g. en_VE): the language alone
            self.locale = Locale.parse(code)

    def t(self, text: str) -> str:
        return MESSAGES.get(self.code, {}).get(text, text)

    def number(self, value: int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value: str | None) -> str:
        """A share already cut by the percent rule ("50.70"), printed in the locale ("50,70 %")."""
        if value is None:
            return "—"
        decimals = len(value.split(".")[1]) if "." in value else 0
        pattern = self.locale.percent_formats[None].pattern
        pattern = re.sub(r"0(?=[^0]*$)", "0." + "0" * decimals if decimals else "0", pattern, count=1)
        return format_percent(Decimal(value) / 100, format=pattern, locale=self.locale)

    def datetime(self, value: dt.datetime | str, time_zone: str) -> str:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return format_datetime(value, format="medium", tzinfo=ZoneInfo(time_zone), locale=self.locale)

# Observers, incidents, the quick count and claims (web/observation)
MESSAGES["es"].update({
    "Independent observation": "Observación independiente", "Accredited observers": "Observadores acreditados",
    "international": "internacionales", "national": "nacionales", "media": "medios", "party witness": "testigos",
    "Quick count": "Conteo rápido",
    "an estimate by observers from a random sample of tables, not the official count":
        "una estimación de observadores a partir de una muestra aleatoria de mesas, no el conteo oficial",
    "sampled tables reported": "mesas de la muestra reportadas", "Option": "Opción",
    "95 % interval": "intervalo de 95 %", "Official": "Oficial", "outside the interval": "fuera del intervalo",
    "Incidents per": "Incidencias por", "Every incident": "Todas las incidencias", "Incidents": "Incidencias",
    "Claims checked against the count": "Afirmaciones contrastadas con el conteo", "Claims": "Afirmaciones",
    "supported": "confirmada", "contradicted": "desmentida", "not yet checkable": "aún no verificable",
    "Observer report": "Reporte de observación", "Your observer token": "Su credencial (token) de observador",
    "Report": "Reporte", "Send": "Enviar", "How to write a report": "Cómo escribir un reporte",
    "Per area": "Por área", "List": "Lista", "No incident reported.": "No se ha reportado ninguna incidencia.",
    "Category": "Categoría", "Status": "Estado", "all": "todas", "Filter": "Filtrar", "None yet": "Ninguna aún",
    "No claim recorded.": "No hay afirmaciones registradas.",
})
