"""Every pair of colours a map can show stays distinguishable for colour-blind readers.

Each pair is compared as seen with normal vision and under simulated deuteranopia and protanopia (Machado,
Oliveira and Fernandes 2009, severity 1.0), by CIEDE2000 colour difference, and must differ by at least
THRESHOLD: a difference of 15 is plainly visible side by side on a map (a narrow lead's tint was 7 from the
"no results" grey before). The colour science comes from ColorAide; its CIEDE2000 is checked here against the
published test pairs of Sharma, Wu and Dalal (2005), and its simulation against the Machado matrices applied
by hand, so the test does not rest on the library alone.
"""

from __future__ import annotations

import itertools

import pytest

from escrutinio.publish.svgmap import MAP_HUES, NO_DATA_FILL, MarginScale

coloraide = pytest.importorskip("coloraide")
Color = coloraide.Color

THRESHOLD = 15.0
VISIONS = ("normal", "deutan", "protan")
# Machado et al. 2009, severity 1.0, applied to linear RGB.
MACHADO = {
    "deutan": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "protan": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
}


def seen(hex_colour: str, vision: str):
    colour = Color(hex_colour)
    if vision != "normal":
        colour = colour.filter(vision, method="machado")
    return colour.convert("lab-d65")


def difference(a: str, b: str, vision: str) -> float:
    return seen(a, vision).delta_e(seen(b, vision), method="2000")


def test_ciede2000_matches_the_published_test_pairs():
    # Sharma, Wu, Dalal (2005), table 1: pairs 1, 7 and 17.
    pairs = [((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
             ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
             ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492)]
    for one, two, expected in pairs:  # ColorAide computes CIEDE2000 in CIELAB under D65
        assert Color("lab-d65", list(one)).delta_e(Color("lab-d65", list(two)), method="2000") == pytest.approx(expected,
                                                                                                      abs=1e-4)


@pytest.mark.parametrize("vision", ["deutan", "protan"])
def test_the_simulation_is_machados_matrix(vision):
    for hex_colour in ("#08519c", "#a63603", "#e6ab02", "#b2abd2", "#636363"):
        linear = Color(hex_colour).convert("srgb-linear").coords()
        by_hand = [sum(m * c for m, c in zip(row, linear)) for row in MACHADO[vision]]
        simulated = Color(hex_colour).filter(vision, method="machado").convert("srgb-linear").coords()
        assert simulated == pytest.approx(by_hand, abs=2e-3), hex_colour


@pytest.mark.parametrize("options", [1, 2, 3, 4, 5, 8])
def test_every_pair_a_map_can_show_is_distinguishable(options):
    scale = MarginScale([f"O{i}" for i in range(options)])
    fills = scale.fills()
    assert len(set(fills)) == len(fills)
    worst = min((difference(a, b, vision), a, b, vision)
                for a, b in itertools.combinations(fills, 2) for vision in VISIONS)
    assert worst[0] >= THRESHOLD, f"{worst[1]} and {worst[2]} differ by only {worst[0]:.1f} ({worst[3]})"


def test_a_two_option_map_grades_the_lead_in_three_classes_and_more_options_have_one_each():
    two = MarginScale(["SI", "NO"])
    assert len(two.classes) == 6
    assert two.fill("NO", 0.4) != two.fill("NO", 7) != two.fill("NO", 30)
    assert two.fill("NO", 4.99) == two.fill("NO", 0) and two.fill("NO", 15) == two.fill("NO", 99)
    many = MarginScale([f"O{i}" for i in range(6)])
    assert len(many.classes) == MAP_HUES + 1  # a hue for each of the first four, "another option" for the rest
    assert many.fill("O5", 3) == many.fill("O4", 30) != many.fill("O0", 30)
    assert NO_DATA_FILL in many.fills()
