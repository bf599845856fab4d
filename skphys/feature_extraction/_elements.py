"""Elemental properties from the mendeleev package (the ``skphys[materials]`` extra).

mendeleev ships its periodic table as a local SQLite file (about 3 MB, no network use), with
the source of every column documented; skphys reads it once and caches an (118, n_properties)
table. Nothing here is typed in by hand: properties are columns of mendeleev's tables or are
derived from them by the rules written next to each one.
"""

from functools import cache

import numpy as np

__all__ = ["ELEMENT_PROPERTIES", "element_properties"]

#: kJ/mol per eV (CODATA: e * N_A / 1000).
_EV_TO_KJ_PER_MOL = 96.48533212331002

#: name -> (description, unit); the values come from :func:`element_properties`.
ELEMENT_PROPERTIES = {
    "atomic_number": ("atomic number Z", ""),
    "mendeleev_number": ("Mendeleev number (Pettifor 1984; Villars et al. 2004)", ""),
    "atomic_weight": ("standard atomic weight (IUPAC/CIAAW)", "u"),
    "period": ("period (row of the periodic table)", ""),
    "group": ("group (column); lanthanides and actinides are put in group 3", ""),
    "melting_point": ("melting point at 101.325 kPa (CRC Handbook)", "K"),
    "covalent_radius": ("covalent radius (Cordero et al. 2008)", "pm"),
    "electronegativity": ("Pauling electronegativity (CRC Handbook)", ""),
    "atomic_radius": ("empirical atomic radius (Slater 1964)", "pm"),
    "density": ("density near room temperature; ideal-gas density for gases (CRC)", "kg/m^3"),
    "first_ionization_energy": ("first ionisation energy (NIST ASD)", "kJ/mol"),
    "electron_affinity": ("electron affinity (CRC); elements with no stable anion get 0",
                          "kJ/mol"),
    "fusion_heat": ("heat of fusion", "kJ/mol"),
    "thermal_conductivity": ("thermal conductivity at 25 C", "W/(m K)"),
    "valence": ("valence: largest magnitude among the main oxidation states (0 for noble "
                "gases)", ""),
    "ns_valence": ("valence s electrons (outside the noble-gas core)", ""),
    "np_valence": ("valence p electrons", ""),
    "nd_valence": ("valence d electrons", ""),
    "nf_valence": ("valence f electrons", ""),
    "n_valence": ("all valence electrons (s + p + d + f)", ""),
    "ns_unfilled": ("empty states in the occupied valence s shell", ""),
    "np_unfilled": ("empty states in the occupied valence p shell", ""),
    "nd_unfilled": ("empty states in the occupied valence d shell", ""),
    "nf_unfilled": ("empty states in the occupied valence f shell", ""),
    "n_unfilled": ("all empty valence states (s + p + d + f)", ""),
}

_CAPACITY = {"s": 2, "p": 6, "d": 10, "f": 14}


def _import_mendeleev():
    try:
        import mendeleev  # noqa: F401
        from mendeleev.econf import ElectronicConfiguration
        from mendeleev.fetch import fetch_table
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "skphys.feature_extraction needs elemental data from the 'mendeleev' package, "
            "which is not installed. Install the materials extra: "
            "pip install 'skphys[materials]'  (or: pip install mendeleev)") from exc
    return fetch_table, ElectronicConfiguration


@cache
def _table():
    """(symbols, property names, values (118, n) float64 with NaN where mendeleev has none)."""
    fetch_table, ElectronicConfiguration = _import_mendeleev()
    el = fetch_table("elements").sort_values("atomic_number").reset_index(drop=True)
    z = el["atomic_number"].to_numpy()
    n = len(el)
    col = {}
    col["atomic_number"] = z.astype(float)
    col["mendeleev_number"] = el["mendeleev_number"].to_numpy(float)
    col["atomic_weight"] = el["atomic_weight"].to_numpy(float)
    col["period"] = el["period"].to_numpy(float)
    group = el["group_id"].to_numpy(float)
    col["group"] = np.where(np.isnan(group) & (el["block"] == "f").to_numpy(), 3.0, group)

    phase = fetch_table("phasetransitions")
    phase = phase[(phase["is_transition"] != 1) & phase["melting_point"].notna()]
    melting = phase.groupby("atomic_number")["melting_point"].first()
    col["melting_point"] = melting.reindex(z).to_numpy(float)

    col["covalent_radius"] = el["covalent_radius_cordero"].to_numpy(float)
    col["electronegativity"] = el["en_pauling"].to_numpy(float)
    col["atomic_radius"] = el["atomic_radius"].to_numpy(float)
    col["density"] = el["density"].to_numpy(float) * 1000.0  # g/cm^3 -> kg/m^3

    ions = fetch_table("ionizationenergies")
    first = ions[ions["ion_charge"] == 0].groupby("atomic_number")["ionization_energy"].first()
    col["first_ionization_energy"] = first.reindex(z).to_numpy(float) * _EV_TO_KJ_PER_MOL
    # negative affinities in mendeleev are metastable anions (He, Be, N, Ar, Xe, Yb): no
    # bound anion, affinity 0 as in the CRC tables and Hamidieh's data
    affinity = el["electron_affinity"].to_numpy(float)
    col["electron_affinity"] = np.where(affinity < 0, 0.0, affinity) * _EV_TO_KJ_PER_MOL
    col["fusion_heat"] = el["fusion_heat"].to_numpy(float)
    col["thermal_conductivity"] = el["thermal_conductivity"].to_numpy(float)

    ox = fetch_table("oxidationstates")
    main = ox[ox["category"] == "main"].assign(mag=lambda d: d["oxidation_state"].abs())
    col["valence"] = main.groupby("atomic_number")["mag"].max().reindex(z).fillna(0.0) \
        .to_numpy(float)

    shells = {f"n{l}_{kind}": np.zeros(n) for l in "spdf" for kind in ("valence", "unfilled")}
    for i, conf in enumerate(el["electronic_configuration"]):
        ec = ElectronicConfiguration(conf)
        # H and He have no noble-gas core: all their electrons are valence electrons
        valence = ec.get_valence() if ec.get_largest_core() is not None else ec
        for (_, l), occupancy in valence.conf.items():
            shells[f"n{l}_valence"][i] += occupancy
            shells[f"n{l}_unfilled"][i] += _CAPACITY[l] - occupancy
    col.update(shells)
    col["n_valence"] = sum(shells[f"n{l}_valence"] for l in "spdf")
    col["n_unfilled"] = sum(shells[f"n{l}_unfilled"] for l in "spdf")

    names = tuple(ELEMENT_PROPERTIES)
    values = np.column_stack([col[name] for name in names])
    values.setflags(write=False)
    return tuple(el["symbol"]), names, values


def symbols():
    """The 118 element symbols in order of atomic number (from mendeleev)."""
    return _table()[0]


def property_table(properties):
    """Values (118, len(properties)) of the named properties, NaN where unknown."""
    _, names, values = _table()
    return values[:, [names.index(p) for p in properties]]


def element_properties():
    """The elemental properties that :class:`CompositionFeaturizer` uses, as a table.

    One row per element (H to Og, indexed by symbol), one column per property of
    :data:`ELEMENT_PROPERTIES`; NaN where mendeleev has no value. Units: see
    ``ELEMENT_PROPERTIES[name]``.

    Returns
    -------
    table : pandas.DataFrame of shape (118, n_properties)

    Examples
    --------
    >>> from skphys.feature_extraction import element_properties
    >>> table = element_properties()
    >>> float(table.loc["Cu", "atomic_weight"]), int(table.loc["Cu", "n_valence"])
    (63.546, 11)
    """
    import pandas as pd

    syms, names, values = _table()
    return pd.DataFrame(np.array(values), index=pd.Index(syms, name="symbol"),
                        columns=list(names))
