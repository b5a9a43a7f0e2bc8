"""KRA eTIMS code values (spec §4), re-typed as this project's own lookup tables.

The values are KRA's published codes (OSCU specification v2.0 §4 and the sandbox `selectCodeList`
answer); names are shortened. At run time `selectCodeList` is the authority: these tables are the
offline default used to validate mapping files before anything is sent.
"""

from __future__ import annotations

from decimal import Decimal

# Class 04, taxation type: letter -> (name, rate in percent). The rate is `userDfnCd1`.
TAX_TYPES: dict[str, tuple[str, Decimal]] = {
    "A": ("Exempt", Decimal("0")),
    "B": ("VAT 16%", Decimal("16")),
    "C": ("Zero rated", Decimal("0")),
    "D": ("Non-VAT", Decimal("0")),
    "E": ("VAT 8%", Decimal("8")),
}

# Class 07, payment type.
PAYMENT_TYPES: dict[str, str] = {
    "01": "Cash",
    "02": "Credit",
    "03": "Cash/credit",
    "04": "Bank cheque",
    "05": "Debit or credit card",
    "06": "Mobile money",
    "07": "Other",
}

# Class 10, quantity unit (43 codes). Only 2-character codes fit the item-code slot (spec §3.4).
QUANTITY_UNITS: dict[str, str] = {
    "4B": "Pair", "AV": "Cap", "BA": "Barrel", "BE": "Bundle", "BG": "Bag", "BL": "Block",
    "BLL": "Barrel (petroleum)", "BX": "Box", "CA": "Can", "CEL": "Cell", "CMT": "Centimetre",
    "CR": "Carat", "DR": "Drum", "DZ": "Dozen", "GLL": "Gallon", "GRM": "Gram", "GRO": "Gross",
    "KG": "Kilogram", "KTM": "Kilometre", "KWT": "Kilowatt", "L": "Litre", "LBR": "Pound",
    "LK": "Link", "LTR": "Litre", "M": "Metre", "M2": "Square metre", "M3": "Cubic metre",
    "MGM": "Milligram", "MTR": "Metre", "MWT": "Megawatt hour", "NO": "Number",
    "NX": "Part per thousand", "PA": "Packet", "PG": "Plate", "PR": "Pair", "RL": "Reel",
    "RO": "Roll", "SET": "Set", "ST": "Sheet", "TNE": "Tonne", "TU": "Tube",
    "U": "Pieces/item", "YRD": "Yard",
}  # fmt: skip

# Class 17, packaging unit (the 52 codes `saveItem` accepts; `BX` is a quantity unit, not here).
PACKAGING_UNITS: dict[str, str] = {
    "AM": "Ampoule", "BA": "Barrel", "BC": "Bottlecrate", "BE": "Bundle", "BF": "Balloon",
    "BG": "Bag", "BJ": "Bucket", "BK": "Basket", "BL": "Bale", "BQ": "Bottle, cylindrical",
    "BR": "Bar", "BV": "Bottle, bulbous", "BZ": "Bag", "CA": "Can", "CH": "Chest", "CJ": "Coffin",
    "CL": "Coil", "CR": "Wooden box", "CS": "Cassette", "CT": "Carton", "CTN": "Container",
    "CY": "Cylinder", "DR": "Drum", "GT": "Extra countable item", "HH": "Hand baggage",
    "IZ": "Ingots", "JR": "Jar", "JU": "Jug", "JY": "Jerry can", "KZ": "Canister",
    "LZ": "Logs in bundle", "NT": "Net", "OU": "Non-exterior packaging unit", "PD": "Poddon",
    "PG": "Plate", "PI": "Pipe", "PO": "Pilot", "PU": "Traypack", "RL": "Reel", "RO": "Roll",
    "RZ": "Rods in bundle", "SK": "Skeleton case", "TY": "Tank, cylindrical", "VG": "Bulk gas",
    "VL": "Bulk liquid", "VO": "Bulk solid, large particles", "VQ": "Bulk liquefied gas",
    "VR": "Bulk solid, granular", "VT": "Extra bulk item", "VY": "Bulk fine particles",
    "ML": "Mills", "TN": "Tan (20 bags)",
}  # fmt: skip

# Class 24, item (product) type.
ITEM_TYPES: dict[str, str] = {"1": "Raw material", "2": "Finished product", "3": "Service"}

# Class 32, credit-note (refund) reason. 01-06 are in the spec; 07-13 in the sandbox code list.
REFUND_REASONS: dict[str, str] = {
    "01": "Missing quantity",
    "02": "Missing data",
    "03": "Damaged",
    "04": "Wasted",
    "05": "Raw material shortage",
    "06": "Refund",
    "07": "Wrong customer PIN",
    "08": "Wrong customer name",
    "09": "Wrong amount/price",
    "10": "Wrong quantity",
    "11": "Wrong item(s)",
    "12": "Wrong tax type",
    "13": "Other reason",
}

# Class 05 is ISO 3166 alpha-2 (taken from pycountry) plus these legacy codes KRA still lists.
LEGACY_COUNTRIES: frozenset[str] = frozenset({"AC", "AN", "CS", "EU", "FX", "NT", "SU", "TP", "UK", "YU", "ZR"})

# Class 33 is ISO 4217 (from pycountry) plus these codes KRA lists that ISO has withdrawn.
LEGACY_CURRENCIES: frozenset[str] = frozenset({"ANG", "BGN", "BYR", "CUC", "HRK", "MRO", "SLL", "STD", "VEF", "ZWL"})
