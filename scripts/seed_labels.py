"""Gold labels for the paragraphs of the five seed bulletins.

Each list below was written by reading the bulletin in
``../shared/corpus/seeds/`` paragraph by paragraph against the labeling guide
(v2); the comment on each line is the paragraph's opening words. The
paragraph order is the reading order of the bulletin, boilerplate excluded.
``build_dataset.py`` pairs these labels with the paragraphs the segmenter
finds and refuses to build if the counts or openings disagree.
"""

M, H, I, G = "medicine_supply", "human_resources", "infrastructure", "governance"

SEEDS: dict[str, dict] = {
    "000_ce69f7b727d09816": {
        "date": "2023-02-21",
        "paragraphs": [
            ("Gobierno de Oaxaca e instituciones buscan", [G]),
            ("Instalan cinco mesas de trabajo", [G]),
            ("Oaxaca de Juárez, Oax. 21 de febrero", [G]),
            ("Durante esta reunión la secretaria de Salud", [M, G]),
            ("“Tenemos el compromiso", []),
            ("Destacó el compromiso asumido", [M, H, I, G]),
            ("Por su parte, el Jefe de Gabinete", [G]),
            ("“Hay interés por parte del Gobierno estatal", [I]),
            ("El coordinador de Recursos Humanos", []),
            ("Anunció que pronto habrá convocatorias", [H]),
            ("En las mesas de trabajo por parte del Insabi", []),
        ],
    },
    "001_83dc0674dc44574e": {
        "date": "2023-11-19",
        "paragraphs": [
            ("Destaca secretario de salud coordinación", [G]),
            ("Para garantizar el acceso a servicios eficientes", [G]),
            ("MEXICALI, NOVIEMBRE 19, 2023", [G]),
            ("En ese sentido, el secretario de Salud", [G]),
            ("“Celebro que contemos con un coordinador", [G]),
            ("Por su parte, Romero Flores refrendó", [G]),
            ("Durante la toma de protesta", [G]),
            ("Refirió que durante este año", [M, H, I, G]),
            ("Se ha intercambiado información", [I, G]),
            ("El Dr. Romero Flores, se desempeñó", [G]),
        ],
    },
    "002_07235daff39535a8": {
        "date": None,  # 2019 by its content; the day is not in the text
        "paragraphs": [
            ("México.- Mediante una videoconferencia", [M, G]),
            ("En el ejercicio participaron los 35", [M, G]),
            ("En este ejercicio también participaron 11", []),
            ("Durante la reunión virtual", [G]),
            ("Por su parte, la Oficial Mayor", [G]),
            ("“Un solo equipo, con una sola estrategia", [G]),
            ("Zoé Robledo Aburto", []),
            ("Durante el evento que tuvo lugar", [M, G]),
            ("Igualmente se estableció dar seguimiento", [G]),
            ("Fueron más 150 participantes", [M, G]),
            ("Tanto el IMSS como la Oficialía Mayor", []),
        ],
    },
    "003_9977f2cffea54f7a": {
        "date": None,  # May 2023 by its content
        "paragraphs": [
            ("IMSS-Bienestar se fortalece con la llegada", [H]),
            ("El 16 de mayo comienzan a trabajar", [H]),
            ("El 1° de junio se realiza dispersión", [I, G]),
            ("Se han realizado 11 mil 807 asambleas", [G]),
            ("El IMSS-Bienestar se fortalece con la llegada", [H]),
            ("Durante la conferencia de prensa", [G]),
            ("“Estamos hablando desde centros de salud", [I, G]),
            ("Los trabajos incluyen acciones de infraestructura", [I, G]),
            ("Detalló que como parte del programa", [G]),
            ("Por otra parte, explicó que cerca de 18 mil", [H]),
            ("“Aquí vamos a lograr que se atienda", [H]),
            ("Al presentar un reporte de avances", [G]),
            ("En tanto, en Nayarit son 280 comités", [G]),
        ],
    },
    "004_fc572cfdc16ed9d7": {
        "date": None,  # 2022 by its content
        "paragraphs": [
            ("IMSS continuará con el reto", [G]),
            ("Se inauguró la Tercera Reunión Regional", [I, G]),
            ("En lo que resta del año se tiene un presupuesto", [I, G]),
            ("Se trabaja arduamente para que el IMSS-Bienestar", [G]),
            ("El Instituto Mexicano del Seguro Social (IMSS) inauguró", [I, G]),
            ("Al encabezar la inauguración", [G]),
            ("Invitó a los representantes", [I, G]),
            ("“La experiencia de la pandemia", [G]),
            ("Zoé Robledo agradeció al gobernador", [I, G]),
            ("En su mensaje, el gobernador de Michoacán", [G]),
            ("Ramírez Bedolla dijo que se asegurará", [G]),
            ("Por su parte, el director de Operación", [G]),
            ("Subrayó que el papel de los representantes", [G]),
            ("En tanto, la titular del Órgano", [G]),
            ("En el acto inaugural", [G]),
        ],
    },
}
