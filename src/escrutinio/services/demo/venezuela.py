"""The shape of Venezuela for the demo night: real federal entities, synthetic detail.

Per entity: code (the HASC suffix, for joining maps), name, number of
municipalities and parishes (close to 2007), approximate registered voters
in thousands, how fast its tables report (higher is faster) and its lean to
"Sí" in per cent of valid votes. Everything below the entity is generated.
"""

from __future__ import annotations

from typing import NamedTuple


class Entity(NamedTuple):
    code: str
    name: str
    municipios: int
    parroquias: int
    registered_k: int
    speed: float
    si_lean: float


ENTITIES = (
    Entity("DF", "Distrito Capital", 1, 22, 1600, 1.0, 48.5),
    Entity("AM", "Amazonas", 7, 23, 90, -1.6, 55.0),
    Entity("AN", "Anzoátegui", 21, 49, 870, 0.2, 47.0),
    Entity("AP", "Apure", 7, 26, 270, -1.0, 56.0),
    Entity("AR", "Aragua", 18, 50, 1000, 0.6, 50.5),
    Entity("BA", "Barinas", 12, 56, 440, -0.3, 51.0),
    Entity("BO", "Bolívar", 11, 46, 800, -0.2, 48.0),
    Entity("CA", "Carabobo", 14, 38, 1260, 0.7, 47.5),
    Entity("CO", "Cojedes", 9, 15, 180, -0.2, 53.0),
    Entity("DA", "Delta Amacuro", 4, 21, 85, -1.4, 59.0),
    Entity("FA", "Falcón", 25, 81, 550, -0.1, 50.0),
    Entity("GU", "Guárico", 15, 39, 430, -0.4, 53.5),
    Entity("LA", "Lara", 9, 58, 1000, 0.4, 49.0),
    Entity("ME", "Mérida", 23, 86, 500, -0.2, 40.5),
    Entity("MI", "Miranda", 21, 55, 1650, 0.8, 41.0),
    Entity("MO", "Monagas", 13, 45, 500, 0.0, 50.5),
    Entity("NE", "Nueva Esparta", 11, 24, 270, 0.3, 42.0),
    Entity("PO", "Portuguesa", 14, 30, 490, -0.3, 56.0),
    Entity("SU", "Sucre", 15, 54, 540, -0.5, 51.5),
    Entity("TA", "Táchira", 29, 66, 680, 0.1, 36.0),
    Entity("TR", "Trujillo", 20, 93, 420, -0.3, 53.0),
    Entity("VA", "Vargas", 1, 11, 240, 0.5, 50.0),
    Entity("YA", "Yaracuy", 14, 21, 350, 0.0, 51.5),
    Entity("ZU", "Zulia", 21, 106, 2050, 0.4, 46.0),
)

# Names below the entities are drawn from these lists, as Venezuelan
# municipalities and parishes so often bear the same heroes' and saints' names.
KNOWN_PARISHES = {
    ("DF", 0): ("Altagracia", "Antímano", "Caricuao", "Catedral", "Coche", "El Junquito", "El Paraíso",
                "El Recreo", "El Valle", "La Candelaria", "La Pastora", "La Vega", "Macarao", "San Agustín",
                "San Bernardino", "San José", "San Juan", "San Pedro", "Santa Rosalía", "Santa Teresa",
                "Sucre", "23 de Enero"),
    ("VA", 0): ("Caraballeda", "Carayaca", "Carlos Soublette", "Caruao", "Catia La Mar", "El Junko",
                "La Guaira", "Macuto", "Maiquetía", "Naiguatá", "Urimare"),
}
KNOWN_MUNICIPIOS = {"DF": ("Libertador",), "VA": ("Vargas",)}

MUNICIPIO_NAMES = (
    "Bolívar", "Sucre", "Miranda", "Páez", "Urdaneta", "Ribas", "Andrés Bello", "Simón Rodríguez", "Zamora",
    "Mariño", "Rojas", "Girardot", "Independencia", "Libertad", "Piar", "Arismendi", "Monagas", "Falcón",
    "Anzoátegui", "Cedeño", "Bermúdez", "Rivas Dávila", "Campo Elías", "Santos Marquina", "Torres",
    "Jiménez", "Crespo", "Morán", "Palavecino", "Guaicaipuro", "Plaza", "Brión", "Acevedo", "Lander",
    "Sotillo", "Freites", "Guanipa", "Heres", "Caroní", "Roscio", "Sifontes", "Maturín", "Piñango",
    "Uribante", "Junín", "Lobatera", "Michelena", "Córdoba", "Carvajal", "Valera", "Boconó", "Escuque",
    "Pampán", "Mara", "Perijá", "Cabimas", "Lagunillas", "Baralt", "Colón", "Machiques", "Semprún",
    "Libertador", "Santa Rita", "San Francisco", "Maracaibo", "Tovar", "Alberto Adriani", "Obispo Ramos",
    "Antolín del Campo", "Gómez", "Díaz", "García", "Marcano", "Tubores", "Villalba", "Peña", "Nirgua",
    "Sucre Norte", "Ezequiel Zamora", "José Félix Ribas", "Mellado", "Infante", "Ortiz", "Roscio Sur",
)
PARROQUIA_NAMES = (
    "Catedral", "San José", "Santa Rosa", "San Juan", "Santa Ana", "San Rafael", "El Carmen", "La Concepción",
    "San Antonio", "San Miguel", "Santa Bárbara", "San Pedro", "La Candelaria", "San Isidro", "El Valle",
    "Santa Lucía", "San Francisco", "Santa Inés", "La Victoria", "San Blas", "Capital", "El Socorro",
    "La Trinidad", "Santa Cruz", "San Luis", "San Diego", "Los Guayos", "La Florida", "El Paraíso",
    "Monseñor Arias", "Cristo de Aranza", "Chiquinquirá", "Bolívar", "Sucre", "Urdaneta", "Libertad",
    "Independencia", "Guaicaipuro", "Caricuao", "Juan de Villegas", "Unión", "Santa Teresa", "Altagracia",
    "Manuel Dagnino", "Cacique Mara", "Raúl Leoni", "Idelfonso Vásquez", "Venancio Pulgar", "Antonio Borjas",
)
CENTRE_KINDS = ("Escuela Básica", "Unidad Educativa", "Liceo", "Grupo Escolar", "Escuela Estadal",
                "Unidad Educativa Nacional", "Escuela Concentrada", "Casa Comunal", "Ciclo Básico")
CENTRE_PATRONS = ("Simón Bolívar", "Andrés Bello", "Rafael Urdaneta", "Luisa Cáceres de Arismendi",
                  "José Antonio Páez", "Francisco de Miranda", "Antonio José de Sucre", "Cecilio Acosta",
                  "Rómulo Gallegos", "Andrés Eloy Blanco", "Teresa Carreño", "Simón Rodríguez",
                  "José María Vargas", "Manuela Sáenz", "Josefa Camejo", "Ezequiel Zamora", "Fermín Toro",
                  "Juan Vicente González", "Cruz Salmerón Acosta", "Ana Dolores Fernández", "Negro Primero",
                  "Juana Ramírez", "Guaicaipuro", "José Félix Ribas", "Antonio Ricaurte", "Lisandro Alvarado")
