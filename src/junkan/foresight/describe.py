"""A causal model documented factor by factor (Markdown), straight from the model file, so
the documentation cannot drift from the model."""

from __future__ import annotations

from junkan.foresight.model import Compiled


def _range(v: object) -> str:
    if isinstance(v, tuple | list):
        return f"{v[0]:g}–{v[1]:g}"
    return f"{v:g}" if isinstance(v, float | int) else ""


def describe_markdown(c: Compiled) -> str:
    """Markdown: overview, levers, then one table per theme with every factor's role, start,
    trend/shock, incoming links (sign, strength, lag) and description."""
    m = c.model
    incoming: dict[str, list[str]] = {f.id: [] for f in m.factors}
    outgoing: dict[str, int] = {f.id: 0 for f in m.factors}
    for ln in m.links:
        lag = f"@{ln.lag}" if ln.lag != 1 else ""
        incoming[ln.dst].append(f"{ln.sign}{ln.strength}{lag} `{ln.src}`")
        outgoing[ln.src] += 1
    roles = {r: sum(f.role == r for f in m.factors) for r in ("driver", "state", "kpi")}
    lines = [f"# {m.title or m.name}", "",
             f"{len(m.factors)} factors ({roles['driver']} drivers, {roles['state']} states, "
             f"{roles['kpi']} KPIs), {len(m.links)} links, {len(m.levers)} policy levers, "
             f"years {m.years.start}–{m.years.end}, gain α = {m.gain:g}, anchor "
             f"`{m.anchor}`.", ""]
    if m.description:
        lines += [m.description, ""]
    lines += ["Links are written `sign strength@lag source` (strength 1–3; lag in years, "
              "1 when not written: a change of the source reaches the target that many "
              "years later); "
              "starting values and trends are normalised to [0, 1]. Run it with "
              f"`junkan foresight analyse {m.name}.yaml`.", ""]
    if m.levers:
        lines += ["## Policy levers", "", "| lever | acts on | effect per year | from | mode |",
                  "|---|---|---|---|---|"]
        for lv in m.levers:
            lines.append(f"| `{lv.id}` {lv.name or ''} | `{lv.factor}` | {lv.effect:+g} | "
                         f"{lv.start} | {lv.mode} |")
        lines.append("")
    themes: dict[str, list[int]] = {}
    for i, f in enumerate(m.factors):
        prefix = f.id.split("_", 1)[0]
        themes.setdefault(m.themes.get(prefix, prefix), []).append(i)
    for title, members in themes.items():
        lines += [f"## {title} ({len(members)})", "",
                  "| factor | role | start | trend / shock | driven by | drives | description |",
                  "|---|---|---|---|---|---|---|"]
        for i in members:
            f = m.factors[i]
            role = f.role if f.role != "kpi" else f"KPI ({f.family}, {f.better} is better)"
            if f.role == "state" and f.better == "lower":
                role += " (lower is better)"
            trend = ""
            if f.trend is not None:
                trend = f"{_range(f.trend)} /yr from {f.trend_start or m.years.start}"
                if f.shock:
                    trend += f"; σ {f.shock:g}"
            lines.append(f"| `{f.id}` {f.name or ''} | {role} | {_range(f.x0)} | {trend} | "
                         f"{', '.join(incoming[f.id]) or '—'} | {outgoing[f.id]} | "
                         f"{(f.description or '').replace('|', '/')} |")
        lines.append("")
    if m.sources:
        lines += ["## Sources", ""] + [f"- **{k}**: {v}" for k, v in m.sources.items()] + [""]
    return "\n".join(lines)
