"""Back-test of the projection: simulated nights with biased arrival, bulletins at 50, 70, 88 and 95 % counted.

    python bench/projection_backtest.py --nights 1000 [--seed 1] [--sample 1.0]

Each night is drawn on the demo geography (24 estados, ~1,100 parroquias, ~9,500 centres, ~33,000
tables; services/demo) from a model of its own, which shares nothing with the projection's:

- a national Sí share drawn between 42 % and 58 % (so many nights are close);
- the estados' leans from the demo (Táchira and Mérida to the No, the plains to the Sí), each moved by a
  regional swing of the night; municipio, parroquia, centre and table effects below that;
- an urban–rural split whose size and sign change every night (rural = slow estados and small tables);
- turnout that moves with the lean (one side's voters turn out more, by a random amount each night);
- arrival: cities first (the estado's speed), small and rural tables later, two or three *late regions*
  (estados that report last) that lean differently by a swing of their own, a few very late large
  tables (0.3 % of the tables, the largest, arriving last with a lean of their own), and, inside every
  area, arrival that correlates with the lean (a random sign and strength each night): the tables
  counted in a parroquia are not like the ones still missing there.

Each night also has a *previous election* on the same tables, drawn after the night (so the night
itself is drawn exactly as without it): it shares the night's lasting geography (the estados' leans,
the municipio, parroquia and centre effects, who is rural) but has its own national result, its own
regional swing per estado (so the night's swing from it differs from estado to estado), its own
urban–rural lean, its own local noise per municipio, parroquia, centre and table, its own turnout and a
register a little smaller; the night's late regions and very late tables lean as they do only tonight,
and 3 % of the centres are new (no earlier figures: they fall back to the register). The previous
election is therefore a good but imperfect predictor of the night, as a real one is.

At each checkpoint the counted tables are added up per centre, as a bulletin publishes them, and
projected with escrutinio.domain.projection exactly as a bulletin does (same settings, same widening),
twice: with the register as the size (no previous election loaded) and with the previous election's
votes per centre as the size (one loaded).
Per checkpoint it reports the coverage of the 95 % intervals (each option's national share, the margin
and each estado's shares) against the night's final result, and the statistical calls: how many were
made and how many were wrong (the call named an option that did not win).

``--sample F`` keeps a fraction F of the parroquias (all their centres and tables) per night, for a
faster run on a busy machine; the default is the whole geography. ``--grid A,B,…`` also reports, for
the national share and margin, the coverage and wrong calls each arrival allowance in the list would
have given (the register's for the register, the previous election's for the other; the allowance of
the uncovered centres stays the published one): the calibration the published allowances come from.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from escrutinio.domain.projection import (ALLOWANCE, ALLOWANCE_PREVIOUS, LEVEL_PERCENT, MICRO,  # noqa: E402
                                          REPLICATES, WIDEN, blended_allowance, frame_of, previous_sizes, project,
                                          rule_call, summary)
from escrutinio.services.demo.generate import SEED, _geography  # noqa: E402
from escrutinio.services.demo.venezuela import ENTITIES  # noqa: E402

CHECKPOINTS = (50, 70, 88, 95)
SIZES = ("register", "previous")
NEW_CENTRES = 0.03
REFERENDUM = {"name": "referendum", "approval_percent": "50"}


class Geography:
    """The demo's tree as arrays: per table its centre, parroquia, municipio, estado and register."""

    def __init__(self):
        geo = _geography(np.random.default_rng(SEED))
        index = {a.code: i for i, a in enumerate(geo.areas)}
        self.parents = [index[a.parent] if a.parent else -1 for a in geo.areas]
        self.kinds = ["area"] * len(geo.areas)
        centre_node = {}
        for c in geo.centres:
            centre_node[c.code] = len(self.parents)
            self.parents.append(index[c.area])
            self.kinds.append("centre")
        self.table_node = np.array([centre_node[t.centre] for t in geo.tables])
        self.registered = np.array([t.registered for t in geo.tables], dtype=np.int64)
        self.estado = np.array(geo.entity)
        self.parroquia = np.array(geo.parroquia)
        self.municipio = np.array([index[geo.areas[p].parent] for p in geo.parroquia])
        self.centre = np.array(geo.centre)
        self.n_areas = len(geo.areas)
        self.n_centres = len(geo.centres)
        self.speed = np.array([e.speed for e in ENTITIES])
        self.lean = np.array([e.si_lean for e in ENTITIES]) / 100
        self.estado_of_area = np.zeros(len(geo.areas), dtype=np.int64)
        for i, a in enumerate(geo.areas):
            code = a.code.split("-")[0]
            self.estado_of_area[i] = next((e for e, x in enumerate(ENTITIES) if x.code == code), -1)


def draw_night(g: Geography, rng: np.random.Generator, keep: np.ndarray):
    """One night: (votes per table [SI, NO], arrival order of the kept tables, the previous election per
    table [registered, incumbent, opposition], with registered 0 at the tables of new centres)."""
    n = len(g.registered)
    national = rng.uniform(0.42, 0.58)
    region = g.lean - g.lean.mean() + rng.normal(0, 0.04, len(ENTITIES))
    late = rng.choice(len(ENTITIES), size=int(rng.integers(2, 4)), replace=False)
    late_swing = np.zeros(len(ENTITIES))
    late_swing[late] = rng.normal(0, 0.06, len(late))
    municipio = rng.normal(0, 0.04, g.n_areas)[g.municipio]
    parroquia = rng.normal(0, 0.03, g.n_areas)[g.parroquia]
    centre = rng.normal(0, 0.025, g.n_centres)[g.centre]
    table = rng.normal(0, 0.02, n)
    # Rural: slow estados and small tables, plus a parroquia-level draw.
    rural_p = rng.normal(0, 1, g.n_areas)[g.parroquia] - 1.2 * g.speed[g.estado]
    small = (g.registered < np.percentile(g.registered, 30)).astype(float)
    rural = 1 / (1 + np.exp(-(rural_p + small)))
    rural_lean = rng.normal(0, 0.05)
    share = national + region[g.estado] + late_swing[g.estado] + municipio + parroquia + centre + table \
        + rural_lean * (rural - rural.mean())
    # A few very late large tables with a lean of their own.
    big = np.argsort(-g.registered)[: max(1, n * 3 // 1000)]
    share[big] += rng.normal(0, 0.08)
    share = np.clip(share, 0.03, 0.97)
    # Turnout: one side's voters turn out more tonight.
    gap = rng.normal(0, 0.3)
    turnout = np.clip(0.6 + rng.normal(0, 0.04, len(ENTITIES))[g.estado] + gap * (share - 0.5)
                      - 0.05 * rural + rng.normal(0, 0.05, n), 0.25, 0.9)
    cast = np.floor(g.registered * turnout).astype(np.int64)
    valid = cast - np.floor(cast * 0.015).astype(np.int64)
    si = rng.binomial(valid, share)
    votes = np.column_stack([si, valid - si]).astype(np.int64)
    # Arrival: cities first, rural later, late regions last, the big tables at the very end; and,
    # inside every area, an order that follows the lean by a random sign and strength.
    within = rng.normal(0, 0.6) * (share - share.mean()) / share.std()
    score = (-1.2 * g.speed[g.estado] + 1.0 * rural + rng.normal(0, 0.5, g.n_areas)[g.parroquia]
             + rng.normal(0, 0.4, g.n_centres)[g.centre] + rng.normal(0, 0.4, n) + within)
    score[np.isin(g.estado, late)] += 2.5
    score[big] += 100.0
    score[~keep] = np.inf
    order = np.argsort(score, kind="stable")
    # The previous election: the same lasting geography, its own national result, regional swing,
    # urban–rural lean, local noise and turnout; drawn last, so the night above is drawn as without it.
    prev_region = g.lean - g.lean.mean() + rng.normal(0, 0.04, len(ENTITIES))
    prev_share = (rng.uniform(0.42, 0.62) + prev_region[g.estado] + municipio + parroquia + centre
                  + rng.normal(0, 0.05) * (rural - rural.mean())
                  + rng.normal(0, 0.02, g.n_areas)[g.municipio] + rng.normal(0, 0.02, g.n_areas)[g.parroquia]
                  + rng.normal(0, 0.02, g.n_centres)[g.centre] + rng.normal(0, 0.02, n))
    prev_share = np.clip(prev_share, 0.03, 0.97)
    prev_gap = rng.normal(0, 0.3)
    prev_turnout = np.clip(0.65 + rng.normal(0, 0.04, len(ENTITIES))[g.estado] + prev_gap * (prev_share - 0.5)
                           - 0.05 * rural + rng.normal(0, 0.05, n), 0.25, 0.95)
    prev_registered = np.floor(g.registered * rng.uniform(0.94, 1.0, n)).astype(np.int64)
    prev_cast = np.floor(prev_registered * prev_turnout).astype(np.int64)
    prev_valid = prev_cast - np.floor(prev_cast * 0.015).astype(np.int64)
    incumbent = rng.binomial(prev_valid, prev_share)
    new = (rng.random(g.n_centres) < NEW_CENTRES)[g.centre]
    previous = np.column_stack([np.where(new, 0, prev_registered), np.where(new, 0, incumbent),
                                np.where(new, 0, prev_valid - incumbent)]).astype(np.int64)
    return votes, order, previous


def _stats() -> dict:
    return {"share": 0, "margin": 0, "n": 0, "estado": 0, "estado_n": 0, "calls": 0, "wrong": 0, "none": 0,
            "width": [], "tables": 0, "grid": {}}


def run(nights: int, seed: int, sample: float, out=print, widen=WIDEN, allowance=ALLOWANCE,
        allowance_previous=ALLOWANCE_PREVIOUS, grid: tuple[int, ...] = ()) -> dict:
    g = Geography()
    rng = np.random.default_rng(seed)
    stats = {size: {q: _stats() for q in CHECKPOINTS} for size in SIZES}
    centre_parroquia = np.zeros(g.n_centres, dtype=np.int64)
    centre_parroquia[g.centre] = g.parroquia
    started = time.perf_counter()
    for night in range(nights):
        keep_p = rng.random(g.n_areas) < sample
        keep = keep_p[g.parroquia]
        votes, order, previous = draw_night(g, rng, keep)
        # The night's frame: every area, the centres of the parroquias kept.
        centres = np.flatnonzero(keep_p[centre_parroquia])
        parents = g.parents[: g.n_areas] + [int(centre_parroquia[c]) for c in centres]
        kinds = ["area"] * g.n_areas + ["centre"] * len(centres)
        frame, units, _ = frame_of(parents, kinds)
        C = len(units)
        local = np.full(g.n_centres, -1, dtype=np.int64)
        local[centres] = np.arange(C)
        tables = np.flatnonzero(keep)
        table_unit = local[g.centre[tables]]
        votes, registered, previous = votes[tables], g.registered[tables], previous[tables]
        position = np.empty(len(keep), dtype=np.int64)
        position[order] = np.arange(len(order))
        arrival = np.argsort(position[tables], kind="stable")
        kept = len(tables)
        final = _per_unit(votes, table_unit, C)
        earlier = _per_unit(previous, table_unit, C)  # per centre: registered, incumbent, opposition
        earlier_votes, earlier_registered = earlier[:, 1:], earlier[:, 0]
        truth_root = final.sum(axis=0)
        truth_share = truth_root * MICRO // truth_root.sum()
        truth_winner = 0 if 100 * truth_root[0] > 50 * truth_root.sum() else 1
        unit_estado = g.estado_of_area[centre_parroquia[centres]]
        estado_groups = np.unique(frame.chain[1], return_inverse=True)[1].reshape(-1)
        reg_all = np.bincount(table_unit, weights=registered, minlength=C).astype(np.int64)
        for q in CHECKPOINTS:
            counted = np.zeros(kept, dtype=bool)
            counted[arrival[: kept * q // 100]] = True
            v = _per_unit(votes * counted[:, None], table_unit, C)
            reg_c = np.bincount(table_unit, weights=registered * counted, minlength=C).astype(np.int64)
            n_counted = np.bincount(table_unit, weights=counted, minlength=C).astype(np.int64)
            donor = (n_counted > 0) & (reg_c > 0)
            digest = hashlib.sha256(f"{seed}:{night}:{q}".encode()).digest()
            seeds = (int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:16], "big"))
            for size in SIZES:
                if size == "register":
                    aux_c = np.repeat(reg_c[:, None], 2, axis=1)
                    aux_u = np.repeat((reg_all - reg_c)[:, None], 2, axis=1)
                    covered = np.zeros(C, dtype=bool)
                else:
                    aux_c, aux_u, covered = previous_sizes(reg_c, reg_all, earlier_votes, earlier_registered,
                                                           np.array([True, True]))
                result = project(frame, v, donor, aux_c, aux_u, seeds)
                st = stats[size][q]
                st["n"] += 1
                st["tables"] += kept
                if result is None:
                    st["none"] += 1
                    continue
                uncounted = reg_all - reg_c

                def allow(mask, a_reg=allowance, a_prev=allowance_previous):
                    if size == "register":
                        return a_reg
                    return blended_allowance(int(uncounted[mask & covered].sum()),
                                             int(uncounted[mask & ~covered].sum()), a_reg, a_prev)

                everywhere = np.ones(C, dtype=bool)
                point, reps = result.point[0][0], result.reps[0][:, 0]
                true_margin = int(truth_share[0] - truth_share[1])
                for a in grid:
                    s = summary(point, reps, result.counted[0][0], widen=widen,
                                allowance=allow(everywhere, *((a, allowance_previous) if size == "register"
                                                              else (allowance, a))))
                    cell = st["grid"].setdefault(a, [0, 0, 0, 0])
                    cell[0] += int(abs(int(s["share"][0]) - int(truth_share[0])) <= int(s["w"][0]))
                    cell[1] += int(abs(int(s["margins"][0, 1]) - true_margin) <= int(s["margin_w"][0, 1]))
                    call = rule_call(REFERENDUM, point, s)
                    cell[2] += int(call is not None)
                    cell[3] += int(call is not None and call != truth_winner)
                s = summary(point, reps, result.counted[0][0], widen=widen, allowance=allow(everywhere))
                share, w = s["share"], s["w"]
                st["share"] += int(abs(int(share[0]) - int(truth_share[0])) <= int(w[0]))
                st["margin"] += int(abs(int(s["margins"][0, 1]) - true_margin) <= int(s["margin_w"][0, 1]))
                st["width"].append(2 * int(w[0]) / 10**6)
                call = rule_call(REFERENDUM, point, s)
                if call is not None:
                    st["calls"] += 1
                    st["wrong"] += int(call != truth_winner)
                # Each estado's Sí share.
                for gi, node in enumerate(result.nodes[1].tolist()):
                    mine = unit_estado == g.estado_of_area[node]
                    tot = final[mine].sum(axis=0)
                    if tot.sum() <= 0:
                        continue
                    truth = int(tot[0]) * MICRO // int(tot.sum())
                    sub = summary(result.point[1][gi], result.reps[1][:, gi], result.counted[1][gi], widen=widen,
                                  allowance=allow(estado_groups == gi))
                    st["estado"] += int(abs(int(sub["share"][0]) - truth) <= int(sub["w"][0]))
                    st["estado_n"] += 1
        if (night + 1) % max(1, nights // 10) == 0:
            out(f"  {night + 1} nights, {time.perf_counter() - started:.0f} s")
    elapsed = time.perf_counter() - started
    return {"stats": stats, "seconds": elapsed, "nights": nights, "tables": len(g.registered),
            "centres": g.n_centres, "widen": widen, "allowance": allowance, "allowance_previous": allowance_previous,
            "sample": sample, "grid": grid}


def _part(args):
    nights, seed, sample, widen, allowance, allowance_previous, grid = args
    return run(nights, seed, sample, out=lambda *a: None, widen=widen, allowance=allowance,
               allowance_previous=allowance_previous, grid=grid)


def run_jobs(nights: int, seed: int, sample: float, jobs: int, widen=WIDEN, allowance=ALLOWANCE,
             allowance_previous=ALLOWANCE_PREVIOUS, grid: tuple[int, ...] = ()) -> dict:
    """``run`` split over ``jobs`` processes (seeds seed, seed+1, …), its figures added up."""
    if jobs <= 1:
        return run(nights, seed, sample, widen=widen, allowance=allowance, allowance_previous=allowance_previous,
                   grid=grid)
    from multiprocessing import Pool

    shares = [nights // jobs + (i < nights % jobs) for i in range(jobs)]
    started = time.perf_counter()
    with Pool(jobs) as pool:
        parts = pool.map(_part, [(n, seed + i, sample, widen, allowance, allowance_previous, grid)
                                 for i, n in enumerate(shares)])
    total = parts[0]
    for part in parts[1:]:
        for size, by_q in part["stats"].items():
            for q, st in by_q.items():
                for key, value in st.items():
                    if key == "grid":
                        for a, cell in value.items():
                            mine = total["stats"][size][q]["grid"].setdefault(a, [0, 0, 0, 0])
                            for i, x in enumerate(cell):
                                mine[i] += x
                    else:
                        total["stats"][size][q][key] += value
    total["nights"] = nights
    total["seconds"] = time.perf_counter() - started
    total["jobs"] = jobs
    return total


def _per_unit(votes: np.ndarray, table_unit: np.ndarray, C: int) -> np.ndarray:
    out = np.zeros((C, votes.shape[1]), dtype=np.int64)
    np.add.at(out, table_unit, votes)
    return out


def report(result: dict, out=print) -> None:
    first = result["stats"]["register"][CHECKPOINTS[0]]
    mean_tables = first["tables"] / max(result["nights"], 1)
    out(f"projection back-test: {result['nights']} nights on the demo geography ({result['tables']:,} tables in "
        f"{result['centres']:,} centres), {result['sample']:.0%} of its parroquias kept per night "
        f"({mean_tables:,.0f} tables on average); {REPLICATES} replicates, widening "
        f"{result['widen'][0]}/{result['widen'][1]}, arrival allowance {result['allowance'] / 10**6:g} points "
        f"(register), {result['allowance_previous'] / 10**6:g} points (previous election), "
        f"level {LEVEL_PERCENT} %; {result['seconds']:.0f} s over {result.get('jobs', 1)} process(es)")
    for size in SIZES:
        out(f"size: {size}")
        out("counted | coverage Sí share | coverage margin | coverage per estado | calls | wrong calls | "
            "median width (points) | no projection")
        for q, st in result["stats"][size].items():
            n = max(st["n"] - st["none"], 1)
            width = float(np.median(st["width"])) if st["width"] else float("nan")
            out(f"{q:>6} % | {100 * st['share'] / n:6.1f} % | {100 * st['margin'] / n:6.1f} % | "
                f"{100 * st['estado'] / max(st['estado_n'], 1):6.1f} % | {st['calls']:>5} | {st['wrong']:>3} | "
                f"{width:5.2f} | {st['none']}")
        if result.get("grid"):
            out(f"  allowance grid ({size}): allowance points: coverage share / margin, calls, wrong calls "
                "at 50 / 70 / 88 / 95 %")
            for a in result["grid"]:
                cells = [result["stats"][size][q]["grid"].get(a, [0, 0, 0, 0]) for q in CHECKPOINTS]
                ns = [max(result["stats"][size][q]["n"] - result["stats"][size][q]["none"], 1) for q in CHECKPOINTS]
                out(f"  {a / 10**6:g}: " + " | ".join(f"{100 * c[0] / n:5.1f} / {100 * c[1] / n:5.1f} %, {c[2]}, {c[3]}"
                                                     for c, n in zip(cells, ns)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=float, default=1.0, help="fraction of parroquias kept per night")
    parser.add_argument("--jobs", type=int, default=1, help="processes to split the nights over")
    parser.add_argument("--widen", default=f"{WIDEN[0]}/{WIDEN[1]}",
                        help="bootstrap widening to try instead of the published one (a/b)")
    parser.add_argument("--allowance", type=float, default=ALLOWANCE / 10**6,
                        help="arrival allowance in points (register) to try instead of the published one")
    parser.add_argument("--allowance-previous", type=float, default=ALLOWANCE_PREVIOUS / 10**6,
                        help="arrival allowance in points (previous election) to try instead of the published one")
    parser.add_argument("--grid", default="", help="allowances (points, comma-separated) to report coverage for")
    args = parser.parse_args(argv)
    num, den = args.widen.split("/")
    grid = tuple(round(float(a) * 10**6) for a in args.grid.split(",") if a.strip())
    report(run_jobs(args.nights, args.seed, args.sample, args.jobs, widen=(int(num), int(den)),
                    allowance=round(args.allowance * 10**6),
                    allowance_previous=round(args.allowance_previous * 10**6), grid=grid))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
