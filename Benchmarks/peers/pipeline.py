#!/usr/bin/env python3
"""The full pipeline the way an interface team would script it, for comparison
with `synoptic render --batch`: json for the case files, the rules ported to
plain Python, Jinja2 for the text and HTML reports and lxml for our report XML.

    pipeline.py --templates Templates --batch CORPUS_DIR_OR_LIST -o OUTDIR [--format text,html,xml]

For every case (read, decode, validate, derive, fill, render, write) it writes
OUTDIR/<same relative path>.txt/.html/.xml, byte for byte what synoptic writes
for a valid case, continues past bad cases (no outputs for a case with
errors, as synoptic's batch does) and writes OUTDIR/batch-report.json with the
counts. It prints one line: `python-pipeline cases=N rendered=R failed=F
seconds=S cases_per_s=X`.

It is a port of Sources/SynopticCore (Rules, Validation), Sources/SynopticTemplates
(Filler, Bindings) and Sources/SynopticExport (ReportTree, TextFormatting,
ReportXML): the same decisions, written as an integration script would be.
Scope: the shipped templates (not institution overrides), one case at a time
on one core. Decoding is strict (unknown keys, bad words and bad sizes fail
the case) but its messages are shorter than synoptic's.
"""
import argparse
import json
import math
import os
import sys
import time
from json.decoder import scanstring

import jinja2
import markupsafe
import yaml
from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))


class CaseError(Exception):
    """A case that cannot be decoded: the path and what is wrong."""

    def __init__(self, path, message):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


# ---------------------------------------------------------------- values

class Absent:
    """"not reported" or "cannot be determined (reason)": unknown is a value."""
    __slots__ = ("kind", "reason")

    def __init__(self, kind, reason=None):
        self.kind = kind
        self.reason = reason

    def text(self):
        if self.kind == "nr":
            return "not reported"
        return f"cannot be determined ({self.reason})" if self.reason is not None else "cannot be determined"


NOT_REPORTED = Absent("nr")


def known(q):
    return None if isinstance(q, Absent) else q


def special(text):
    t = text.strip()
    lower = t.lower()
    if lower in ("not reported", "not-reported", "not stated", "unknown", "not specified"):
        return NOT_REPORTED
    for prefix in ("cannot be determined", "cannot be assessed", "cannot-be-determined", "cannot-be-assessed"):
        if lower.startswith(prefix):
            rest = t[len(prefix):].strip()
            if rest[:1] in (":", "-", ","):
                rest = rest[1:].strip()
            return Absent("cbd", rest or None)
    return None


COMPARATORS = [
    ("approximately", "~"), ("about", "~"), ("approx.", "~"), ("approx", "~"), ("≥", ">="), ("≤", "<="),
    (">=", ">="), ("<=", "<="), (">", ">"), ("<", "<"), ("~", "~"), ("ca.", "~"),
]
COMPARATOR_DISPLAY = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "~": "approximately"}


def split_comparator(text):
    t = text.strip()
    lower = t.lower()
    for word, c in COMPARATORS:
        if lower.startswith(word):
            return c, t[len(word):].strip()
    return None, t


def number_text(v):
    if v == math.floor(v) and abs(v) < 1e15:
        return str(int(v))
    s = "%.4f" % v
    s = s.rstrip("0")
    return s[:-1] if s.endswith(".") else s


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def parse_float(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) and abs(v) < 1e9 else None


class Length:
    __slots__ = ("value", "unit", "comparator")

    def __init__(self, value, unit, comparator):
        self.value = value
        self.unit = unit
        self.comparator = comparator

    @property
    def mm(self):
        return self.value if self.unit == "mm" else self.value * 10

    @property
    def cm(self):
        return self.value if self.unit == "cm" else self.value / 10

    def __str__(self):
        number = number_text(self.value) + " " + self.unit
        return f"{COMPARATOR_DISPLAY[self.comparator]} {number}" if self.comparator else number


def parse_length(text):
    comparator, rest = split_comparator(text)
    lower = rest.lower()
    for unit in ("mm", "cm"):
        if lower.endswith(unit):
            v = parse_float(rest[:-2].strip())
            return None if v is None else Length(v, unit, comparator)
    return None


class Percent:
    __slots__ = ("value", "comparator")

    def __init__(self, value, comparator=None):
        self.value = value
        self.comparator = comparator

    def __str__(self):
        number = number_text(self.value) + " %"
        return f"{COMPARATOR_DISPLAY[self.comparator]} {number}" if self.comparator else number


def parse_percent(text):
    if text.strip().lower() in ("none", "not identified", "absent", "no necrosis"):
        return Percent(0.0)
    comparator, rest = split_comparator(text)
    if rest.endswith("%"):
        rest = rest[:-1].strip()
    v = parse_float(rest)
    return None if v is None else Percent(v, comparator)


def valid_date(text):
    parts = text.strip().split("-")
    if len(parts) != 3 or [len(p) for p in parts] != [4, 2, 2] or not all(p.isdigit() for p in parts):
        return None
    y, m, d = (int(p) for p in parts)
    days = 29 if m == 2 and ((y % 4 == 0 and y % 100 != 0) or y % 400 == 0) else \
        28 if m == 2 else 30 if m in (4, 6, 9, 11) else 31
    return f"{y:04d}-{m:02d}-{d:02d}" if 1 <= m <= 12 and 1 <= d <= days else None


# ---------------------------------------------------------------- coded answers

def _choice(raw, synonyms=None, labels=None):
    def norm(s):
        return s.strip(" \t").lower().replace("_", "-").replace(" ", "-")
    lookup = {norm(r): r for r in raw}
    for word, r in (synonyms or {}).items():
        lookup.setdefault(norm(word), r)
    label = {r: (labels or {}).get(r, r.replace("-", " ")) for r in raw}
    return {"lookup": lookup, "label": label, "raw": raw, "norm": norm}


CHOICES = {
    "sex": _choice(["female", "male", "other", "unknown"]),
    "procedure": _choice(["intralesional-resection", "marginal-resection", "wide-resection", "radical-resection",
                          "core-needle-biopsy", "incisional-biopsy", "excisional-biopsy", "other", "not-specified"]),
    "laterality": _choice(["left", "right", "bilateral", "midline", "not-applicable", "not-specified"]),
    "integrity": _choice(["intact", "disrupted", "fragmented", "not-specified"]),
    "siteGroup": _choice(
        ["trunk-extremity", "retroperitoneum", "head-neck", "visceral", "other"],
        {"trunk-and-extremities": "trunk-extremity", "trunk": "trunk-extremity", "extremity": "trunk-extremity",
         "head-and-neck": "head-neck"},
        {"trunk-extremity": "trunk and extremities", "retroperitoneum": "retroperitoneum", "head-neck": "head and neck",
         "visceral": "abdomen and thoracic visceral organs", "other": "other (unusual histologies and sites)"}),
    "depth": _choice(["dermal", "subcutaneous", "fascial", "subfascial", "intramuscular", "intra-abdominal",
                      "retroperitoneal", "mediastinal", "intrathoracic", "head-and-neck", "bone", "other",
                      "cannot-be-determined"],
                     {"suprafascial": "subcutaneous", "skin": "dermal", "intraabdominal": "intra-abdominal"}),
    "focality": _choice(["unifocal", "multifocal", "cannot-be-determined"]),
    "presence": _choice(["not-identified", "present", "cannot-be-determined"],
                        {"absent": "not-identified", "none": "not-identified"}),
    "therapy": _choice(["none", "chemotherapy", "radiotherapy", "chemotherapy-and-radiotherapy", "unknown"],
                       {"both": "chemotherapy-and-radiotherapy", "chemoradiotherapy": "chemotherapy-and-radiotherapy",
                        "no": "none", "not-given": "none", "not-known": "unknown", "not-reported": "unknown"},
                       {"none": "none",
                        "chemotherapy-and-radiotherapy": "chemotherapy and radiotherapy",
                        "chemotherapy": "chemotherapy", "radiotherapy": "radiotherapy", "unknown": "unknown"}),
    "componentKind": _choice(["conventional", "well-differentiated", "dedifferentiated", "heterologous"]),
    "notGraded": _choice(["presurgical-therapy", "biopsy-insufficient", "histotype-not-graded", "other"], None,
                         {"presurgical-therapy": "grading not applied after presurgical therapy",
                          "biopsy-insufficient": "biopsy insufficient for grading",
                          "histotype-not-graded": "histologic type is not graded", "other": "other"}),
    "statedGrade": _choice(["1", "2", "3", "low", "high"],
                           {"g1": "1", "g2": "2", "g3": "3", "grade-1": "1", "grade-2": "2", "grade-3": "3",
                            "low-grade": "low", "high-grade": "high"}),
    "marginStatus": _choice(["involved", "not-involved", "cannot-be-assessed"],
                            {"positive": "involved", "negative": "not-involved", "free": "not-involved",
                             "clear": "not-involved", "uninvolved": "not-involved"}),
    "nodeStatus": _choice(["not-submitted", "examined"],
                          {"none-submitted": "not-submitted", "no-nodes-submitted": "not-submitted"}),
    "metastasis": _choice(["not-identified", "clinical", "pathological"],
                          {"none": "not-identified", "none-known": "not-identified"}),
    "stainResult": _choice(["positive", "negative", "equivocal", "not-interpretable", "retained", "complete-loss",
                            "mosaic-loss"],
                           {"intact": "retained", "lost": "complete-loss", "loss": "complete-loss",
                            "partial-loss": "mosaic-loss", "uninterpretable": "not-interpretable"}),
    "intensity": _choice(["weak", "moderate", "strong"], {"medium": "moderate"}),
    "pattern": _choice(["focal", "patchy", "multifocal", "diffuse", "mosaic", "vessels-only"]),
    "localisation": _choice(["nuclear", "cytoplasmic", "membranous", "dot-like", "granular"],
                            {"membranes": "membranous", "nucleus": "nuclear"}),
    "control": _choice(["adequate", "inadequate", "not-present"], {"positive": "adequate", "present": "adequate"}),
    "method": _choice(["FISH", "NGS", "PCR", "RT-PCR", "cytogenetics", "other"], None,
                      {"FISH": "FISH", "NGS": "NGS", "PCR": "PCR", "RT-PCR": "RT-PCR"}),
    "molecularResult": _choice(["amplified", "not-amplified", "rearranged", "not-rearranged", "mutation-detected",
                                "no-mutation-detected", "fusion-detected", "no-fusion-detected", "indeterminate"]),
    "headNeck": _choice(["orbit", "skull-base", "dura", "central-compartment-viscera", "facial-skeleton",
                         "pterygoid-muscles", "brain", "carotid-encasement", "prevertebral-muscle", "perineural-cns"]),
    "visceral": _choice(["organ-confined", "serosa", "beyond-serosa", "another-organ"]),
}
T4B = {"brain", "carotid-encasement", "prevertebral-muscle", "perineural-cns"}
BIOPSIES = {"core-needle-biopsy", "incisional-biopsy", "excisional-biopsy"}
THERAPY_GIVEN = {"chemotherapy", "radiotherapy", "chemotherapy-and-radiotherapy"}


def label(kind, raw):
    return CHOICES[kind]["label"][raw]


# ---------------------------------------------------------------- decoding

class Decoder:
    """Turns json.loads output into checked values, failing with the path."""

    def choice(self, v, kind, path):
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise CaseError(path, "expected a word")
        c = CHOICES[kind]
        raw = c["lookup"].get(c["norm"](str(v)))
        if raw is None:
            raise CaseError(path, f"'{v}' is not one of: {', '.join(c['raw'])}")
        return raw

    def text(self, v, path):
        if not isinstance(v, str):
            raise CaseError(path, "expected text")
        return v

    def integer(self, v, path):
        if isinstance(v, bool) or not isinstance(v, int):
            raise CaseError(path, "expected a whole number")
        return v

    def number(self, v, path):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CaseError(path, "expected a number")
        return float(v)

    def boolean(self, v, path):
        if not isinstance(v, bool):
            raise CaseError(path, "expected true or false")
        return v

    def date(self, v, path):
        d = valid_date(self.text(v, path))
        if d is None:
            raise CaseError(path, f"'{v}' is not a date; write YYYY-MM-DD")
        return d

    def timestamp(self, v, path):
        t = self.text(v, path).strip()
        try:
            ok = "T" in t and time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S") and (t.endswith("Z") or t[-6] in "+-")
        except (ValueError, IndexError):
            ok = False
        if not ok:
            raise CaseError(path, f"'{v}' is not a time; write ISO 8601 with a zone")
        return t

    def mapping(self, v, path, allowed, required=()):
        if not isinstance(v, dict):
            raise CaseError(path, "expected a mapping")
        unknown = v.keys() - allowed
        if unknown:
            raise CaseError(f"{path}.{sorted(unknown)[0]}" if path else sorted(unknown)[0], "unknown key")
        for k in required:
            if k not in v:
                raise CaseError(f"{path}.{k}" if path else k, "missing")
        return v

    def seq(self, v, path, each):
        if not isinstance(v, list):
            raise CaseError(path, "expected a list")
        return [each(x, f"{path}[{i}]") for i, x in enumerate(v)]

    def qualified(self, v, path, each):
        if isinstance(v, str):
            s = special(v)
            if s is not None:
                return s
        return each(v, path)

    def length(self, v, path):
        l = parse_length(self.text(v, path))
        if l is None:
            raise CaseError(path, f"'{v}' is not a length; write a number and a unit, e.g. '6 cm'")
        return l

    def percent(self, v, path):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return Percent(float(v))
        p = parse_percent(self.text(v, path))
        if p is None:
            raise CaseError(path, f"'{v}' is not a percentage")
        return p

    def size(self, v, path):
        if isinstance(v, str):
            return {"greatest": self.length(v, path), "additional": None}
        m = self.mapping(v, path, {"greatest", "additional"}, ("greatest",))
        extra = m.get("additional")
        return {"greatest": self.length(m["greatest"], path + ".greatest"),
                "additional": None if extra is None else self.seq(extra, path + ".additional", self.length)}

    def mitoses(self, v, path):
        if isinstance(v, int) and not isinstance(v, bool):
            return (v, None)
        m = self.mapping(v, path, {"count", "areaMm2"}, ("count",))
        area = m.get("areaMm2")
        return (self.integer(m["count"], path + ".count"), None if area is None else self.number(area, path + ".areaMm2"))

    def grading(self, v, path):
        g = self.mapping(v, path, {"differentiation", "mitoses", "necrosis", "statedGrade", "notGraded"})
        out = {}
        if "differentiation" in g:
            out["differentiation"] = self.qualified(g["differentiation"], path + ".differentiation", self.integer)
        if "mitoses" in g:
            out["mitoses"] = self.qualified(g["mitoses"], path + ".mitoses", self.mitoses)
        if "necrosis" in g:
            out["necrosis"] = self.qualified(g["necrosis"], path + ".necrosis", self.percent)
        if "statedGrade" in g:
            out["statedGrade"] = self.qualified(g["statedGrade"], path + ".statedGrade",
                                                lambda x, p: self.choice(x, "statedGrade", p))
        if "notGraded" in g:
            ng = self.mapping(g["notGraded"], path + ".notGraded", {"reason", "text"}, ("reason",))
            out["notGraded"] = (self.choice(ng["reason"], "notGraded", path + ".notGraded.reason"),
                                self.opt_text(ng, "text", path + ".notGraded"))
        return out

    def opt_text(self, m, key, path):
        return self.text(m[key], f"{path}.{key}") if key in m else None

    def histotype(self, v, path):
        h = self.mapping(v, path, {"name", "icdO3"}, ("name",))
        return {"name": self.text(h["name"], path + ".name"), "icdO3": self.opt_text(h, "icdO3", path)}

    def stain(self, v, path):
        s = self.mapping(v, path, {"marker", "clone", "result", "intensity", "percent", "pattern", "localisation",
                                   "component", "internalControl", "comment"}, ("marker", "result"))
        return {
            "marker": self.text(s["marker"], path + ".marker"), "clone": self.opt_text(s, "clone", path),
            "result": self.choice(s["result"], "stainResult", path + ".result"),
            "intensity": self.opt_choice(s, "intensity", "intensity", path),
            "percent": self.qualified(s["percent"], path + ".percent", self.percent) if "percent" in s else None,
            "pattern": self.opt_choice(s, "pattern", "pattern", path),
            "localisation": self.opt_choice(s, "localisation", "localisation", path),
            "component": self.opt_text(s, "component", path),
            "internalControl": self.opt_choice(s, "internalControl", "control", path),
            "comment": self.opt_text(s, "comment", path),
        }

    def opt_choice(self, m, key, kind, path):
        return self.choice(m[key], kind, f"{path}.{key}") if key in m else None

    def case(self, v):
        c = self.mapping(v, "", {
            "accession", "reportDate", "patient", "orderingPhysician", "orderNumber", "facility", "clinicalHistory",
            "comment", "diagnosis", "presurgicalTherapy", "treatmentEffect", "priorSpecimens", "specimens", "tumor",
            "regionalLymphNodes", "distantMetastasis", "stains", "molecular", "signOut", "local"}, ("accession",))
        out = {"accession": self.text(c["accession"], "accession")}
        for k in ("orderingPhysician", "orderNumber", "facility", "clinicalHistory", "comment"):
            out[k] = self.opt_text(c, k, "")
        out["reportDate"] = self.date(c["reportDate"], "reportDate") if "reportDate" in c else None
        if "patient" in c:
            p = self.mapping(c["patient"], "patient", {"name", "mrn", "birthDate", "sex"})
            out["patient"] = {
                "name": self.opt_text(p, "name", "patient"), "mrn": self.opt_text(p, "mrn", "patient"),
                "birthDate": self.date(p["birthDate"], "patient.birthDate") if "birthDate" in p else None,
                "sex": self.opt_choice(p, "sex", "sex", "patient")}
        else:
            out["patient"] = None
        out["diagnosis"] = self.seq(c["diagnosis"], "diagnosis", self.text) if "diagnosis" in c else None
        out["presurgicalTherapy"] = self.opt_choice(c, "presurgicalTherapy", "therapy", "")
        if "treatmentEffect" in c:
            te = self.mapping(c["treatmentEffect"], "treatmentEffect", {"viablePercent", "necrosisPercent"})
            out["treatmentEffect"] = {k: self.qualified(te[k], "treatmentEffect." + k, self.percent) if k in te else None
                                      for k in ("viablePercent", "necrosisPercent")}
        else:
            out["treatmentEffect"] = None

        def prior(x, path):
            p = self.mapping(x, path, {"accession", "date", "procedure", "diagnosis", "grade", "stains"}, ("accession",))
            return {"accession": self.text(p["accession"], path + ".accession"),
                    "date": self.date(p["date"], path + ".date") if "date" in p else None,
                    "procedure": self.opt_text(p, "procedure", path), "diagnosis": self.opt_text(p, "diagnosis", path),
                    "grade": self.opt_choice(p, "grade", "statedGrade", path),
                    "stains": self.seq(p["stains"], path + ".stains", self.stain) if "stains" in p else None}
        out["priorSpecimens"] = self.seq(c["priorSpecimens"], "priorSpecimens", prior) if "priorSpecimens" in c else None

        def specimen(x, path):
            s = self.mapping(x, path, {"id", "procedure", "procedureOther", "site", "laterality", "integrity",
                                       "description"}, ("id", "procedure"))
            return {"id": self.text(s["id"], path + ".id"), "procedure": self.choice(s["procedure"], "procedure", path + ".procedure"),
                    "procedureOther": self.opt_text(s, "procedureOther", path), "site": self.opt_text(s, "site", path),
                    "laterality": self.opt_choice(s, "laterality", "laterality", path),
                    "integrity": self.opt_choice(s, "integrity", "integrity", path),
                    "description": self.opt_text(s, "description", path)}
        out["specimens"] = self.seq(c["specimens"], "specimens", specimen) if "specimens" in c else None
        out["tumor"] = self.tumor(c["tumor"], "tumor") if "tumor" in c else None
        if "regionalLymphNodes" in c:
            def nodes(x, path):
                n = self.mapping(x, path, {"status", "examined", "involved"}, ("status",))
                return {"status": self.choice(n["status"], "nodeStatus", path + ".status"),
                        "examined": self.integer(n["examined"], path + ".examined") if "examined" in n else None,
                        "involved": self.integer(n["involved"], path + ".involved") if "involved" in n else None}
            out["regionalLymphNodes"] = self.qualified(c["regionalLymphNodes"], "regionalLymphNodes", nodes)
        else:
            out["regionalLymphNodes"] = None
        if "distantMetastasis" in c:
            m = self.mapping(c["distantMetastasis"], "distantMetastasis", {"status", "sites"}, ("status",))
            out["distantMetastasis"] = {
                "status": self.choice(m["status"], "metastasis", "distantMetastasis.status"),
                "sites": self.seq(m["sites"], "distantMetastasis.sites", self.text) if "sites" in m else None}
        else:
            out["distantMetastasis"] = None
        out["stains"] = self.seq(c["stains"], "stains", self.stain) if "stains" in c else None

        def molecular(x, path):
            m = self.mapping(x, path, {"method", "target", "result", "probe", "ratio", "copyNumber", "nucleiScored",
                                       "fusionPartner", "comment"}, ("method", "target", "result"))
            return {"method": self.choice(m["method"], "method", path + ".method"), "target": self.text(m["target"], path + ".target"),
                    "result": self.choice(m["result"], "molecularResult", path + ".result"),
                    "probe": self.opt_text(m, "probe", path),
                    "ratio": self.number(m["ratio"], path + ".ratio") if "ratio" in m else None,
                    "copyNumber": self.number(m["copyNumber"], path + ".copyNumber") if "copyNumber" in m else None,
                    "nucleiScored": self.integer(m["nucleiScored"], path + ".nucleiScored") if "nucleiScored" in m else None,
                    "fusionPartner": self.opt_text(m, "fusionPartner", path), "comment": self.opt_text(m, "comment", path)}
        out["molecular"] = self.seq(c["molecular"], "molecular", molecular) if "molecular" in c else None
        if "signOut" in c:
            s = self.mapping(c["signOut"], "signOut", {"pathologist", "time"}, ("pathologist",))
            out["signOut"] = {"pathologist": self.text(s["pathologist"], "signOut.pathologist"),
                              "time": self.timestamp(s["time"], "signOut.time") if "time" in s else None}
        else:
            out["signOut"] = None
        if "local" in c:
            loc = c["local"]
            if not isinstance(loc, dict) or not all(isinstance(x, str) for x in loc.values()):
                raise CaseError("local", "expected a mapping of names to text")
            out["local"] = loc
        else:
            out["local"] = None
        return out

    def tumor(self, v, path):
        t = self.mapping(v, path, {
            "site", "siteGroup", "depth", "size", "focality", "histologicType", "lymphovascularInvasion", "extent",
            "recurrent", "headNeckInvasion", "visceralExtent", "multifocalSites", "grading", "components", "margins"})
        out = {"site": self.opt_text(t, "site", path), "siteGroup": self.opt_choice(t, "siteGroup", "siteGroup", path),
               "focality": self.opt_choice(t, "focality", "focality", path),
               "lymphovascularInvasion": self.opt_choice(t, "lymphovascularInvasion", "presence", path),
               "visceralExtent": self.opt_choice(t, "visceralExtent", "visceral", path),
               "recurrent": self.boolean(t["recurrent"], path + ".recurrent") if "recurrent" in t else None,
               "multifocalSites": self.integer(t["multifocalSites"], path + ".multifocalSites") if "multifocalSites" in t else None}
        out["depth"] = self.seq(t["depth"], path + ".depth", lambda x, p: self.choice(x, "depth", p)) if "depth" in t else None
        out["headNeckInvasion"] = self.seq(t["headNeckInvasion"], path + ".headNeckInvasion",
                                           lambda x, p: self.choice(x, "headNeck", p)) if "headNeckInvasion" in t else None
        out["size"] = self.qualified(t["size"], path + ".size", self.size) if "size" in t else None
        out["histologicType"] = self.histotype(t["histologicType"], path + ".histologicType") if "histologicType" in t else None
        out["extent"] = self.seq(t["extent"], path + ".extent", self.text) if "extent" in t else None
        out["grading"] = self.grading(t["grading"], path + ".grading") if "grading" in t else None

        def component(x, p):
            c = self.mapping(x, p, {"name", "kind", "differentiation", "histologicType", "percent", "description",
                                    "grading"}, ("name", "kind"))
            return {"name": self.text(c["name"], p + ".name"), "kind": self.choice(c["kind"], "componentKind", p + ".kind"),
                    "differentiation": self.opt_text(c, "differentiation", p),
                    "histologicType": self.histotype(c["histologicType"], p + ".histologicType") if "histologicType" in c else None,
                    "percent": self.qualified(c["percent"], p + ".percent", self.percent) if "percent" in c else None,
                    "description": self.opt_text(c, "description", p),
                    "grading": self.grading(c["grading"], p + ".grading") if "grading" in c else None}
        out["components"] = self.seq(t["components"], path + ".components", component) if "components" in t else None

        def margin(x, p):
            m = self.mapping(x, p, {"name", "status", "distance", "tissue", "plannedCloseOnCriticalStructure",
                                    "macroscopic"}, ("name", "status"))
            return {"name": self.text(m["name"], p + ".name"), "status": self.choice(m["status"], "marginStatus", p + ".status"),
                    "distance": self.qualified(m["distance"], p + ".distance", self.length) if "distance" in m else None,
                    "tissue": self.opt_text(m, "tissue", p),
                    "plannedCloseOnCriticalStructure": self.boolean(m["plannedCloseOnCriticalStructure"], p + ".plannedCloseOnCriticalStructure")
                    if "plannedCloseOnCriticalStructure" in m else None,
                    "macroscopic": self.boolean(m["macroscopic"], p + ".macroscopic") if "macroscopic" in m else None}
        out["margins"] = self.seq(t["margins"], path + ".margins", margin) if "margins" in t else None
        return out


DECODER = Decoder()


# ---------------------------------------------------------------- FNCLCC grade

TEN_HPF_MM2 = 1.734

HISTOTYPE_SCORES = {}
for _names, _score in [
    (["well differentiated liposarcoma", "atypical lipomatous tumour", "atypical lipomatous tumor"], 1),
    (["well differentiated leiomyosarcoma"], 1),
    (["malignant neurofibroma", "low grade mpnst", "low grade malignant peripheral nerve sheath tumour",
      "low grade malignant peripheral nerve sheath tumor", "well differentiated mpnst"], 1),
    (["well differentiated fibrosarcoma"], 1),
    (["myxoid liposarcoma"], 2),
    (["conventional leiomyosarcoma"], 2),
    (["conventional mpnst", "conventional malignant peripheral nerve sheath tumour",
      "conventional malignant peripheral nerve sheath tumor"], 2),
    (["conventional fibrosarcoma"], 2),
    (["myxofibrosarcoma"], 2),
    (["myxoid chondrosarcoma", "extraskeletal myxoid chondrosarcoma"], 2),
    (["conventional angiosarcoma"], 2),
    (["high grade myxoid liposarcoma", "round cell liposarcoma", "myxoid round cell liposarcoma",
      "high grade myxoid round cell liposarcoma"], 3),
    (["pleomorphic liposarcoma"], 3),
    (["dedifferentiated liposarcoma"], 3),
    (["rhabdomyosarcoma", "pleomorphic rhabdomyosarcoma", "adult rhabdomyosarcoma"], 3),
    (["poorly differentiated leiomyosarcoma", "pleomorphic leiomyosarcoma"], 3),
    (["poorly differentiated angiosarcoma", "epithelioid angiosarcoma"], 3),
    (["poorly differentiated mpnst", "poorly differentiated malignant peripheral nerve sheath tumour",
      "poorly differentiated malignant peripheral nerve sheath tumor", "epithelioid mpnst"], 3),
    (["malignant triton tumour", "malignant triton tumor"], 3),
    (["synovial sarcoma", "monophasic synovial sarcoma", "biphasic synovial sarcoma",
      "poorly differentiated synovial sarcoma"], 3),
    (["extraskeletal osteosarcoma", "osteosarcoma"], 3),
    (["extraskeletal ewing sarcoma", "ewing sarcoma"], 3),
    (["mesenchymal chondrosarcoma"], 3),
    (["clear cell sarcoma"], 3),
    (["epithelioid sarcoma"], 3),
    (["alveolar soft part sarcoma"], 3),
    (["malignant rhabdoid tumour", "malignant rhabdoid tumor"], 3),
    (["undifferentiated pleomorphic sarcoma", "ups", "undifferentiated spindle cell sarcoma",
      "undifferentiated sarcoma", "pleomorphic sarcoma nos"], 3),
]:
    for _n in _names:
        HISTOTYPE_SCORES.setdefault(_n, _score)

HISTOTYPE_AMBIGUOUS = {}
for _names, _hint in [
    (["leiomyosarcoma"],
     "leiomyosarcoma scores 1 (well differentiated), 2 (conventional) or 3 (poorly differentiated / pleomorphic)"),
    (["liposarcoma"], "liposarcoma scores by subtype: well differentiated 1, myxoid 2, round cell / pleomorphic / dedifferentiated 3"),
    (["angiosarcoma"], "angiosarcoma scores 2 (conventional) or 3 (poorly differentiated / epithelioid)"),
    (["mpnst", "malignant peripheral nerve sheath tumour", "malignant peripheral nerve sheath tumor"],
     "MPNST scores 1 (low grade), 2 (conventional) or 3 (poorly differentiated / epithelioid)"),
    (["fibrosarcoma"], "fibrosarcoma scores 1 (well differentiated), 2 (conventional) or 3 (poorly differentiated)"),
]:
    for _n in _names:
        HISTOTYPE_AMBIGUOUS[_n] = _hint


def normalise_name(name):
    return " ".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


# Grades: "G1".."G3", "low", "high", ("ungraded", reason) or "GX" (cannot be assessed).
GRADE_RANK = {"G1": 1, "low": 1, "G2": 2, "high": 2.5, "G3": 3}
GRADE_AJCC = {"G1": "G1", "G2": "G2", "G3": "G3", "low": "low grade", "high": "high grade"}
STATED = {"1": "G1", "2": "G2", "3": "G3", "low": "low", "high": "high"}


def grade_display(g):
    if isinstance(g, tuple):
        return f"ungraded sarcoma ({label('notGraded', g[1])})"
    return {"G1": "G1 (FNCLCC)", "G2": "G2 (FNCLCC)", "G3": "G3 (FNCLCC)",
            "low": "low grade (FNCLCC G1)", "high": "high grade (FNCLCC G2 or G3)", "GX": "cannot be assessed"}[g]


def grade_value(g):
    return "ungraded" if isinstance(g, tuple) else g


def grade_ajcc(g):
    return "GX" if isinstance(g, tuple) else GRADE_AJCC.get(g, "GX")


def agrees(stated, computed):
    if stated == "low":
        return computed == "G1"
    if stated == "high":
        return computed in ("G2", "G3")
    return stated == computed


def mitoses_text(count, area, per10):
    if abs(area - TEN_HPF_MM2) < 1e-9:
        return f"{count} per 10 HPF"
    return f"{count} in {number_text(area)} mm² = {number_text(round_half_away(per10 * 10) / 10)} per 10 HPF (1.734 mm²)"


def necrosis_score(p):
    return 0 if p <= 0 else 1 if p < 50 else 2


def necrosis_score_of(p):
    v, c, tiny = p.value, p.comparator, 1e-9
    lo, hi = {None: (v, v), "~": (v, v), "<": (0, v - tiny), "<=": (0, v), ">": (v + tiny, 100),
              ">=": (v, 100)}[c]
    a, b = necrosis_score(max(0, lo)), necrosis_score(max(0, hi))
    return a if a == b else None


def assess_grade(grading, histotype, path, diags):
    """One grade: dict(grade, source, scores, fromTable, working)."""
    if grading is None:
        return {"grade": "GX", "source": "unknown", "scores": None, "fromTable": False, "working": "no grading inputs given"}
    ng = grading.get("notGraded")
    if ng is not None:
        reason, text = ng
        working = f"not graded: {label('notGraded', reason)}" + (f" ({text})" if text is not None else "")
        return {"grade": ("ungraded", reason), "source": "not-graded", "scores": None, "fromTable": False, "working": working}
    missing, from_table, d = [], False, None
    has_inputs = "mitoses" in grading or "necrosis" in grading
    if "differentiation" in grading:
        dv = grading["differentiation"]
        if isinstance(dv, Absent):
            missing.append(f"differentiation {dv.text()}")
        elif 1 <= dv <= 3:
            d = dv
        else:
            diags.append(("error", path + ".differentiation", "fnclcc.differentiation-range",
                          f"differentiation score must be 1, 2 or 3, not {dv}"))
    else:
        key = normalise_name(histotype) if histotype is not None else None
        if key is not None and key in HISTOTYPE_SCORES:
            d, from_table = HISTOTYPE_SCORES[key], True
        elif key is not None and key in HISTOTYPE_AMBIGUOUS:
            if has_inputs:
                diags.append(("error", path + ".differentiation", "fnclcc.differentiation-ambiguous",
                              f"{HISTOTYPE_AMBIGUOUS[key]}; give differentiation: 1, 2 or 3"))
            missing.append("differentiation not given")
        else:
            if has_inputs:
                named = f"'{histotype}' " if histotype is not None else ""
                diags.append(("error", path + ".differentiation", "fnclcc.differentiation-needed",
                              f"the histologic type {named}is not in the FNCLCC differentiation table; give differentiation: 1, 2 or 3"))
            missing.append("differentiation not given")

    mitotic = None
    if "mitoses" not in grading:
        missing.append("mitoses not given")
    elif isinstance(grading["mitoses"], Absent):
        missing.append(f"mitoses {grading['mitoses'].text()}")
    else:
        count, area = grading["mitoses"]
        area = TEN_HPF_MM2 if area is None else area
        if count < 0:
            diags.append(("error", path + ".mitoses.count", "fnclcc.mitoses-negative",
                          f"mitotic count cannot be negative ({count})"))
        elif not area > 0:
            diags.append(("error", path + ".mitoses.areaMm2", "fnclcc.area-positive",
                          "area counted must be greater than 0 mm²; 10 HPF of 0.1734 mm² is 1.734"))
        else:
            per10 = round_half_away(count * TEN_HPF_MM2 / area * 1e6) / 1e6
            mitotic = (1 if per10 < 10 else 2 if per10 < 20 else 3, mitoses_text(count, area, per10))

    necrosis = None
    if "necrosis" not in grading:
        missing.append("necrosis not given")
    elif isinstance(grading["necrosis"], Absent):
        missing.append(f"necrosis {grading['necrosis'].text()}")
    else:
        p = grading["necrosis"]
        if p.value < 0 or p.value > 100:
            diags.append(("error", path + ".necrosis", "fnclcc.necrosis-range",
                          f"necrosis must be between 0 and 100 %, not {number_text(p.value)}"))
        else:
            s = necrosis_score_of(p)
            if s is None:
                diags.append(("warning", path + ".necrosis", "fnclcc.necrosis-ambiguous",
                              f"necrosis '{p}' does not fix the FNCLCC necrosis score; give a percentage or 'none'"))
                missing.append(f"necrosis ({p})")
            else:
                necrosis = (s, str(p))

    sg = grading.get("statedGrade")
    stated = STATED[sg] if isinstance(sg, str) else None
    if d is not None and mitotic is not None and necrosis is not None:
        total = d + mitotic[0] + necrosis[0]
        g = 1 if total <= 3 else 2 if total <= 5 else 3
        result_working = (f"differentiation {d} + mitoses {mitotic[0]} + necrosis {necrosis[0]} = {total} -> grade {g} "
                          f"(mitoses {mitotic[1]}; necrosis {necrosis[1]})")
        computed = f"G{g}"
        working = result_working
        if from_table:
            working += f"; differentiation from the FNCLCC table for '{histotype or ''}'"
        if stated is not None and not agrees(stated, computed):
            diags.append(("warning", path + ".statedGrade", "grade.stated-differs",
                          f"stated grade {grade_display(stated)} differs from the FNCLCC score ({result_working}); check the inputs or the stated grade"))
        return {"grade": computed, "source": "computed", "scores": (d, mitotic[0], necrosis[0], total),
                "fromTable": from_table, "working": working}
    if stated is not None:
        scores = f"; no FNCLCC score: {', '.join(missing)}" if missing else ""
        return {"grade": stated, "source": "stated", "scores": None, "fromTable": from_table,
                "working": f"stated grade: {grade_display(stated)}{scores}"}
    if isinstance(sg, Absent) and sg.kind == "cbd":
        return {"grade": "GX", "source": "unknown", "scores": None, "fromTable": from_table,
                "working": "grade cannot be assessed" + (f": {sg.reason}" if sg.reason is not None else "")}
    return {"grade": "GX", "source": "unknown", "scores": None, "fromTable": from_table,
            "working": f"grade cannot be assessed: {', '.join(missing)}"}


# ---------------------------------------------------------------- AJCC 8th

CHAPTER = {"head-neck": 40, "trunk-extremity": 41, "visceral": 42, "retroperitoneum": 44, "other": 45}


def t_category(site_group, tumor):
    if site_group == "head-neck":
        invasion = tumor.get("headNeckInvasion") or []
        for s in invasion:
            if s in T4B:
                return "T4b", f"invades {label('headNeck', s)} (T4b, regardless of size)"
        if invasion:
            return "T4a", f"invades {label('headNeck', invasion[0])} (T4a, regardless of size)"
        return t_by_size(tumor, [2, 4])
    if site_group in ("trunk-extremity", "retroperitoneum"):
        return t_by_size(tumor, [5, 10, 15])
    if site_group == "visceral":
        n = tumor.get("multifocalSites")
        if n is not None and n >= 2:
            return ("T4a" if n == 2 else "T4b" if n <= 5 else "T4c"), f"multifocal, {n} sites"
        return {"another-organ": ("T3", "invades another organ"),
                "beyond-serosa": ("T2b", "extends beyond the serosa (mesentery)"),
                "serosa": ("T2a", "invades serosa or visceral peritoneum"),
                "organ-confined": ("T1", "organ-confined")}.get(
            tumor.get("visceralExtent"),
            ("TX", "visceral extent not given; T needs organ-confined, serosa, beyond-serosa or another-organ"))
    return "TX", "AJCC 8th chapter 45 (unusual histologies and sites) defines no T category"


def t_by_size(tumor, cuts):
    names = [f"T{i}" for i in range(1, len(cuts) + 2)]
    size = tumor.get("size")
    if size is None:
        return "TX", "tumour size not given"
    if isinstance(size, Absent):
        return "TX", f"tumour size {size.text()}"
    l = size["greatest"]
    cm = l.cm
    if not cm > 0:
        return "TX", f"tumour size {l} is not a positive size"
    above = sum(1 for c in cuts if c < cm)
    at_or_below = sum(1 for c in cuts if c <= cm)
    lo, hi = {None: (above, above), "~": (above, above), "<": (0, above), "<=": (0, above),
              ">": (at_or_below, len(cuts)), ">=": (above, len(cuts))}[l.comparator]
    rule = "cut-offs " + "/".join(number_text(c) for c in cuts) + " cm, a size on a cut-off takes the lower category"
    if lo == hi:
        return names[lo], f"greatest dimension {l} -> {names[lo]} ({rule})"
    return "TX", f"greatest dimension {l} could be {names[lo]} to {names[hi]}; T not assigned ({rule})"


def stage_group(site_group, t, n, m, grade_ajcc):
    if site_group == "trunk-extremity":
        table = "AJCC 8th trunk and extremities (ch. 41)"
    elif site_group == "retroperitoneum":
        table = "AJCC 8th retroperitoneum (ch. 44)"
    else:
        return None, (f"AJCC 8th defines no stage group for {label('siteGroup', site_group)} sarcoma "
                      f"(ch. {CHAPTER[site_group]}); T, N, M and grade are reported")
    if m == "M1":
        return "IV", f"{table}: M1, any T, any N, any G -> IV"
    if n == "N1":
        g = "IIIB" if site_group == "retroperitoneum" else "IV"
        return g, f"{table}: N1 M0, any T, any G -> {g}"
    low = grade_ajcc in ("G1", "GX", "low grade")
    gcol = "G1/GX" if low else "G2/G3"
    if t == "T1":
        g = "IA" if low else "II"
        return g, f"{table}: T1 N0 M0 {gcol} -> {g}"
    if t in ("T2", "T3", "T4"):
        g = "IB" if low else ("IIIA" if t == "T2" else "IIIB")
        return g, f"{table}: {t} N0 M0 {gcol} -> {g}"
    return None, f"stage not assigned: {t} N0 M0 cannot be grouped ({table})"


# ---------------------------------------------------------------- margins

CLOSE_MM = 10.0


def distance_bounds(d):
    """(lo, lo_inclusive, hi, hi_inclusive) in mm: exact, a lower bound, an upper bound or unknown."""
    if d is None or isinstance(d, Absent):
        return (0.0, False, math.inf, False)
    v, c = d.mm, d.comparator
    if c in (None, "~"):
        return (v, True, v, True)
    return {">": (v, False, math.inf, False), ">=": (v, True, math.inf, False),
            "<": (0.0, False, v, False), "<=": (0.0, False, v, True)}[c]


def margin_named(name, d):
    return f"{name} {d}" if d is not None and not isinstance(d, Absent) else f"{name}: distance not reported"


def assess_margins(margins):
    margins = margins or []
    threshold = number_text(CLOSE_MM)
    involved = [m for m in margins if m["status"] == "involved"]
    unassessed = [m for m in margins if m["status"] in ("cannot-be-assessed", "not-reported")]
    free = [m for m in margins if m["status"] == "not-involved"]
    if not margins:
        r, why = "RX", "RX: no margins reported"
    elif involved:
        macro = [m for m in involved if m["macroscopic"] is True]
        if macro:
            r, why = "R2", f"R2: macroscopic tumour at the margin ({', '.join(m['name'] for m in macro)}); gross residual tumour = R2"
        else:
            r, why = "R1", f"R1: tumour at ink ({', '.join(m['name'] for m in involved)}); tumour at ink = R1"
    elif unassessed:
        r, why = "RX", "RX: " + ", ".join(f"{m['name']} {label('marginStatus', m['status'])}" for m in unassessed) + ", and no margin is involved"
    else:
        r, why = "R0", "R0: no tumour at ink at any margin (tumour at ink = R1)"
    bounds = [distance_bounds(m["distance"]) for m in free]
    closest = None
    finite = [i for i in range(len(free)) if math.isfinite(bounds[i][2])]
    if not involved and finite:
        best = min(finite, key=lambda i: (bounds[i][2], bounds[i][0]))
        closest = (free[best]["name"], free[best]["distance"])
    close_text = None
    rule = f"close means under {threshold} mm"
    if free:
        def known_close(b):
            return b[2] < CLOSE_MM or (b[2] == CLOSE_MM and not b[3])
        close_ones = [i for i in range(len(free)) if known_close(bounds[i])]
        open_ = [i for i in range(len(free)) if not known_close(bounds[i]) and not bounds[i][0] >= CLOSE_MM]
        describe = lambda i: margin_named(free[i]["name"], free[i]["distance"])
        if close_ones:
            close_text = f"yes ({', '.join(describe(i) for i in close_ones)}; {rule})"
        elif not open_ and not unassessed:
            close_text = f"no (every margin is {threshold} mm or more; {rule})"
        else:
            unknown = [describe(i) for i in open_] + [f"{m['name']}: {label('marginStatus', m['status'])}" for m in unassessed]
            close_text = f"cannot be determined ({', '.join(unknown)}; {rule})"
    return {"closest": closest, "involved": [m["name"] for m in involved], "r": r, "close": close_text is not None and close_text.startswith("yes"),
            "closeText": close_text, "working": why}


# ---------------------------------------------------------------- derivation

def derive(c, diags):
    tumor = c["tumor"] or {}
    histotype = (tumor.get("histologicType") or {}).get("name")
    overall = assess_grade(tumor.get("grading"), histotype, "tumor.grading", diags)
    components = []
    for i, comp in enumerate(tumor.get("components") or []):
        if comp["grading"] is not None:
            ht = comp["histologicType"]["name"] if comp["histologicType"] else comp["differentiation"]
            components.append((comp["name"], assess_grade(comp["grading"], ht, f"tumor.components[{i}].grading", diags)))
    grade = highest(overall, components, diags)

    site_group = tumor.get("siteGroup")
    if site_group is None:
        t, t_working = "TX", "AJCC site group not given"
    else:
        t, t_working = t_category(site_group, tumor)
    prefix = ("r" if tumor.get("recurrent") is True else "") + ("y" if c["presurgicalTherapy"] in THERAPY_GIVEN else "")
    suffix = " (m)" if tumor.get("focality") == "multifocal" else ""
    nodes = known(c["regionalLymphNodes"])
    if nodes is not None and nodes["status"] == "examined" and (nodes["involved"] or 0) > 0:
        n, n_display = "N1", f"{prefix}pN1"
    elif nodes is not None and nodes["status"] == "examined" and nodes["involved"] == 0:
        n, n_display = "N0", f"{prefix}pN0"
    else:
        n, n_display = "N0", "pN not assigned (no nodes submitted or found)"
    status = (c["distantMetastasis"] or {}).get("status")
    m, m_display = {"pathological": ("M1", "pM1"), "clinical": ("M1", "cM1")}.get(status, ("M0", "cM0"))
    group, reason = stage_group(site_group or "other", t, n, m, grade_ajcc(grade["grade"]))
    if site_group is None:
        group, reason = None, "stage not assigned: AJCC site group not given"
    if group is None and t == "TX" and reason.startswith("stage not assigned"):
        reason = f"stage not assigned: {t_working}"
    if n == "N0" and (nodes is None or nodes["status"] != "examined") and group is not None:
        reason += "; no nodes examined, grouped as N0 (AJCC: unknown nodal status counts as N0)"
    g = grade["grade"]
    if isinstance(g, tuple) and g[1] == "presurgical-therapy" and group in ("IA", "IB"):
        diags.append(("warning", "tumor.grading.notGraded", "stage.gx-after-therapy",
                      f"an ungraded (GX) tumour after presurgical therapy groups with G1 as stage {group}, which may "
                      "under-stage a high-grade sarcoma; consider the pre-treatment biopsy grade"))
    has_margins = any(s["procedure"] not in BIOPSIES or s["procedure"] == "excisional-biopsy" for s in c["specimens"] or [])
    margins = assess_margins(tumor.get("margins")) if has_margins or tumor.get("margins") is not None else None
    return {"grade": grade, "overall": overall, "components": components, "t": t, "tWorking": t_working,
            "pT": f"{prefix}p{t}{suffix}", "n": n, "pN": n_display, "m": m, "pM": m_display,
            "stage": group, "stageReason": reason, "margins": margins, "stainChanges": stain_changes(c)}


def highest(overall, components, diags):
    if isinstance(overall["grade"], tuple):
        return overall
    top, top_rank = None, None
    for name, a in components:  # the first of equal ranks wins
        r = GRADE_RANK.get(a["grade"], 0) if not isinstance(a["grade"], tuple) else 0
        if top is None or r > top_rank:
            top, top_rank = (name, a), r
    if top is None or isinstance(top[1]["grade"], tuple) or top[1]["grade"] not in GRADE_RANK:
        return overall
    name, a = top
    overall_rank = GRADE_RANK.get(overall["grade"]) if not isinstance(overall["grade"], tuple) else None
    if overall_rank is not None:
        if top_rank > overall_rank:
            diags.append(("warning", "tumor.grading", "grade.component-exceeds-overall",
                          f"the overall grade ({grade_display(overall['grade'])}) is lower than the '{name}' component "
                          f"({grade_display(a['grade'])}); FNCLCC grades the highest-grade area, so the tumour is "
                          f"reported as {grade_display(a['grade'])}"))
        else:
            return overall
    return dict(a, working=f"highest component grade, '{name}': {a['working']}")


def stain_changes(c):
    out = []
    current_all = c["stains"] or []
    for prior in c["priorSpecimens"] or []:
        for old in prior["stains"] or []:
            key = normalise_name(old["marker"])
            current = [s for s in current_all if normalise_name(s["marker"]) == key]
            if not current or any(s["result"] == old["result"] for s in current):
                continue
            for now in current:
                text = (f"{now['marker']}: {label('stainResult', old['result'])} ({prior['accession']}) -> "
                        f"{label('stainResult', now['result'])}")
                if now["component"] is not None:
                    text += f" ({now['component']} component)"
                out.append({"marker": now["marker"], "priorAccession": prior["accession"], "prior": old["result"],
                            "current": now["result"], "component": now["component"], "text": text})
    return out


# ---------------------------------------------------------------- validation

def is_icdo3(code):
    parts = code.split("/")
    return len(parts) == 2 and len(parts[0]) == 4 and parts[0].isdigit() and len(parts[1]) == 1 and parts[1].isdigit()


def validate(c):
    """Consistency and range checks (the template decides what is required).
    Returns (derivation, diagnostics); a diagnostic is (severity, path, rule, message)."""
    d = []
    add = lambda s, p, r, m: d.append((s, p, r, m))  # noqa: E731
    if not c["accession"].strip(" "):
        add("error", "accession", "case.accession-empty", "accession is empty; give the case's accession number")
    p = c["patient"]
    if p is not None and p["birthDate"] is not None and c["reportDate"] is not None and p["birthDate"] > c["reportDate"]:
        add("error", "patient.birthDate", "case.birth-after-report",
            f"birth date {p['birthDate']} is after the report date {c['reportDate']}")
    specimens = c["specimens"] or []
    seen = set()
    for i, s in enumerate(specimens):
        if s["id"] in seen:
            add("error", f"specimens[{i}].id", "specimen.duplicate-id", f"specimen id '{s['id']}' is used twice; ids must be unique")
        seen.add(s["id"])
        if s["procedure"] == "other" and not s["procedureOther"]:
            add("error", f"specimens[{i}].procedureOther", "specimen.procedure-other",
                "procedure is 'other'; say which in procedureOther")
    is_core = any(s["procedure"] == "core-needle-biopsy" for s in specimens)
    therapy_given = c["presurgicalTherapy"] in THERAPY_GIVEN
    te = c["treatmentEffect"]
    if te is not None:
        if not therapy_given:
            add("warning", "treatmentEffect", "consistency.treatment-effect-without-therapy",
                "treatment effect is given but no presurgical therapy is recorded; check presurgicalTherapy")
        for name in ("viablePercent", "necrosisPercent"):
            v = te[name]
            if v is not None and not isinstance(v, Absent) and (v.value < 0 or v.value > 100):
                add("error", f"treatmentEffect.{name}", "range.percent",
                    f"{name} must be between 0 and 100, not {number_text(v.value)}")
    t = c["tumor"]
    if t is not None:
        ht = t["histologicType"]
        if ht is not None and ht["icdO3"] is not None and not is_icdo3(ht["icdO3"]):
            add("error", "tumor.histologicType.icdO3", "code.icd-o-3",
                f"'{ht['icdO3']}' is not an ICD-O-3 morphology code; write e.g. 8890/3")
        size = t["size"]
        if size is not None and not isinstance(size, Absent):
            for j, l in enumerate([size["greatest"]] + (size["additional"] or [])):
                path = "tumor.size.greatest" if j == 0 else f"tumor.size.additional[{j - 1}]"
                if l.value <= 0:
                    add("error", path, "range.size-positive", f"size must be greater than 0, not {l}")
                elif l.cm > 100:
                    add("warning", path, "range.size-implausible", f"size {l} is over 1 m; check the unit (mm or cm)")
            if any(a.mm > size["greatest"].mm for a in size["additional"] or []):
                add("warning", "tumor.size.additional", "consistency.size-greatest",
                    "an additional dimension is larger than the greatest dimension; put the largest first")
        if t["multifocalSites"] is not None and t["multifocalSites"] < 1:
            add("error", "tumor.multifocalSites", "range.sites", "multifocalSites must be at least 1")
        g = t["grading"]
        if g is not None:
            if "notGraded" in g and ("mitoses" in g or "necrosis" in g or "statedGrade" in g):
                add("warning", "tumor.grading.notGraded", "consistency.not-graded-with-inputs",
                    "notGraded is given together with grading inputs; the tumour is reported as ungraded")
            if "notGraded" not in g and therapy_given:
                add("warning", "tumor.grading", "consistency.grade-after-therapy",
                    "an FNCLCC grade is given after presurgical therapy, which alters mitoses and necrosis; grade the "
                    "pre-treatment biopsy or use notGraded: presurgical-therapy")
            if "notGraded" not in g and is_core and ("statedGrade" in g or "mitoses" in g):
                add("warning", "tumor.grading", "consistency.grade-on-core-biopsy",
                    "FNCLCC grade on a core needle biopsy may under-grade the tumour (mitoses and necrosis are sampled incompletely)")
        names, total = set(), 0.0
        for i, comp in enumerate(t["components"] or []):
            if comp["name"] in names:
                add("error", f"tumor.components[{i}].name", "component.duplicate-name",
                    f"component name '{comp['name']}' is used twice; stains refer to components by name")
            names.add(comp["name"])
            pc = comp["percent"]
            if pc is not None and not isinstance(pc, Absent):
                if pc.value < 0 or pc.value > 100:
                    add("error", f"tumor.components[{i}].percent", "range.percent",
                        f"percent must be between 0 and 100, not {number_text(pc.value)}")
                total += pc.value
        if total > 100:
            add("warning", "tumor.components", "consistency.components-over-100",
                f"component percentages add up to {number_text(total)} %, over 100 %; check them")
        for i, m in enumerate(t["margins"] or []):
            path = f"tumor.margins[{i}]"
            dist = m["distance"]
            if dist is not None and not isinstance(dist, Absent):
                if dist.value < 0:
                    add("error", path + ".distance", "margin.negative-distance", f"distance cannot be negative ({dist})")
                elif m["status"] == "not-involved" and dist.value == 0:
                    add("error", path + ".distance", "margin.negative-zero-distance",
                        f"margin '{m['name']}' is not involved but its distance is 0; a tumour at ink is 'involved', otherwise give the distance")
                elif m["status"] == "involved" and dist.value > 0:
                    add("warning", path + ".distance", "margin.involved-with-distance",
                        f"margin '{m['name']}' is involved but has a distance of {dist}; an involved margin has tumour at ink")
            if m["status"] == "not-involved" and dist is None:
                add("warning", path + ".distance", "margin.distance-missing",
                    f"margin '{m['name']}' is free; give the distance (e.g. '6 mm') or 'not reported'")
            if m["macroscopic"] is True and m["status"] != "involved":
                add("error", path + ".macroscopic", "margin.macroscopic-not-involved",
                    "macroscopic is true but the status is not 'involved'")
        if t["extent"] is not None and any(not e.strip(" ") for e in t["extent"]):
            add("warning", "tumor.extent", "text.empty", "an extent line is empty")
    nodes = known(c["regionalLymphNodes"])
    if nodes is not None:
        e, i = nodes["examined"], nodes["involved"]
        if e is not None and e < 0:
            add("error", "regionalLymphNodes.examined", "range.nodes", "examined cannot be negative")
        if i is not None and i < 0:
            add("error", "regionalLymphNodes.involved", "range.nodes", "involved cannot be negative")
        if e is not None and i is not None and i > e:
            add("error", "regionalLymphNodes.involved", "nodes.involved-exceeds-examined", f"{i} nodes involved but only {e} examined")
        if nodes["status"] == "not-submitted" and (e or 0) > 0:
            add("error", "regionalLymphNodes.status", "nodes.status-count",
                f"status is not-submitted but {e or 0} nodes were examined; use 'examined'")
    components = {comp["name"] for comp in ((t or {}).get("components") or [])}
    for i, s in enumerate(c["stains"] or []):
        check_stain(s, f"stains[{i}]", components, add)
    for pi, prior in enumerate(c["priorSpecimens"] or []):
        if prior["date"] is not None and c["reportDate"] is not None and prior["date"] > c["reportDate"]:
            add("warning", f"priorSpecimens[{pi}].date", "consistency.prior-after-report",
                f"prior specimen date {prior['date']} is after the report date {c['reportDate']}")
        for i, s in enumerate(prior["stains"] or []):
            check_stain(s, f"priorSpecimens[{pi}].stains[{i}]", None, add)
    for i, m in enumerate(c["molecular"] or []):
        path = f"molecular[{i}]"
        if m["ratio"] is not None and m["ratio"] < 0:
            add("error", path + ".ratio", "range.ratio", "ratio cannot be negative")
        if m["nucleiScored"] is not None and m["nucleiScored"] < 0:
            add("error", path + ".nucleiScored", "range.nuclei", "nucleiScored cannot be negative")
        r = m["ratio"]
        if m["method"] == "FISH" and normalise_name(m["target"]).startswith("mdm2") and r is not None:
            if r >= 2.0 and m["result"] == "not-amplified":
                add("warning", path + ".result", "molecular.mdm2-ratio",
                    f"MDM2/CEP12 ratio {number_text(r)} is 2.0 or more, which is amplified, but the result says not amplified")
            elif r < 2.0 and m["result"] == "amplified":
                add("warning", path + ".result", "molecular.mdm2-ratio",
                    f"MDM2/CEP12 ratio {number_text(r)} is under 2.0, which is not amplified, but the result says amplified")
    if c["signOut"] is not None and not c["signOut"]["pathologist"].strip(" "):
        add("error", "signOut.pathologist", "signout.pathologist", "sign-out needs the pathologist's name")
    derivation = derive(c, d)
    for change in derivation["stainChanges"]:
        add("info", "stains", "comparison.stain-changed", f"changed from prior specimen: {change['text']}")
    return derivation, d


def check_stain(s, path, components, add):
    if not s["marker"].strip(" "):
        add("error", path + ".marker", "stain.marker-empty", "marker is empty")
    p = s["percent"]
    if p is not None and not isinstance(p, Absent) and (p.value < 0 or p.value > 100):
        add("error", path + ".percent", "range.percent", f"percent must be between 0 and 100, not {number_text(p.value)}")
    if s["component"] is not None and components is not None and s["component"] not in components:
        add("error", path + ".component", "stain.unknown-component",
            f"component '{s['component']}' is not a tumour component of this case; components: {', '.join(sorted(components))}")
    if s["result"] == "negative" and s["intensity"] is not None:
        add("warning", path + ".intensity", "stain.negative-intensity",
            "a negative result has an intensity; remove it or correct the result")
    if s["result"] == "complete-loss" and s["internalControl"] in ("inadequate", "not-present"):
        add("warning", path + ".internalControl", "stain.loss-without-control",
            "complete loss cannot be called without adequate internal control staining; report not-interpretable")


# ---------------------------------------------------------------- item values
# ("coded", value, display, code) ("codedList", [(value, display, code)]) ("measurement", v, unit, comparator)
# ("count", n) ("text", s) ("textList", [s]) ("date", s) ("notReported",) ("cbd", reason)

def display(v):
    kind = v[0]
    if kind == "coded":
        return v[2]
    if kind == "text" or kind == "date":
        return v[1]
    if kind == "measurement":
        _, value, unit, comparator = v
        number = number_text(value) + ("" if unit == "1" else " %" if unit == "%" else " " + ("mm²" if unit == "mm2" else unit))
        return f"{COMPARATOR_DISPLAY[comparator]} {number}" if comparator else number
    if kind == "count":
        return str(v[1])
    if kind == "codedList":
        return ", ".join(a[1] for a in v[1])
    if kind == "textList":
        return "; ".join(v[1])
    if kind == "notReported":
        return "not reported"
    return f"cannot be determined ({v[1]})" if v[1] is not None else "cannot be determined"


def condition_keys(v):
    kind = v[0]
    if kind == "coded":
        return [v[1]]
    if kind == "codedList":
        return [a[0] for a in v[1]]
    if kind == "notReported":
        return ["not-reported"]
    if kind == "cbd":
        return ["cannot-be-determined"]
    return [display(v)]


def choice(kind, raw):
    return ("coded", raw, label(kind, raw), None)


def qualified(q, f):
    if q is None:
        return None
    if isinstance(q, Absent):
        return ("notReported",) if q.kind == "nr" else ("cbd", q.reason)
    return f(q)


def percent_value(p):
    return ("measurement", p.value, "%", p.comparator)


def length_value(l):
    return ("measurement", l.value, l.unit, l.comparator)


def text_if_any(s):
    return ("text", s) if s is not None and s.strip() else None


def yes_no(b):
    return ("coded", "yes" if b else "no", "yes" if b else "no", None)


def entered(v):
    return None if v is None else (v, "entered")


def derived_value(v):
    return None if v is None else (v, "derived")


def grade_answer(g):
    return ("coded", grade_value(g), grade_display(g), None)


def mitoses_description(m):
    count, area = m
    if area is not None and area != TEN_HPF_MM2:
        return f"{count} in {number_text(area)} mm²"
    return f"{count} per 10 HPF"


def _differentiation(c, d):
    g = (c["tumor"] or {}).get("grading") or {}
    if "differentiation" in g:
        return entered(qualified(g["differentiation"], lambda v: ("count", v)))
    o = d["overall"]
    if o["scores"] is not None and o["fromTable"]:
        return (("count", o["scores"][0]), "default")
    return None


def _tumor(c):
    return c["tumor"] or {}


def _grading(c):
    return _tumor(c).get("grading") or {}


def _margin_close(c, d):
    m = d["margins"]
    if m is None or m["closeText"] is None:
        return None
    return derived_value(("text", m["closeText"]))


def _rows(pairs):
    return {k: v for k, v in pairs if v is not None}


SCALARS = {
    "clinicalHistory": lambda c, d: entered(text_if_any(c["clinicalHistory"])),
    "presurgicalTherapy": lambda c, d: entered(c["presurgicalTherapy"] and choice("therapy", c["presurgicalTherapy"])),
    "treatmentEffect.viablePercent": lambda c, d: entered(qualified((c["treatmentEffect"] or {}).get("viablePercent"), percent_value)),
    "treatmentEffect.necrosisPercent": lambda c, d: entered(qualified((c["treatmentEffect"] or {}).get("necrosisPercent"), percent_value)),
    "tumor.site": lambda c, d: entered(text_if_any(_tumor(c).get("site"))),
    "tumor.siteGroup": lambda c, d: entered(_tumor(c).get("siteGroup") and choice("siteGroup", _tumor(c)["siteGroup"])),
    "tumor.depth": lambda c, d: entered(None if _tumor(c).get("depth") is None else
                                        ("codedList", [(r, label("depth", r), None) for r in _tumor(c)["depth"]])),
    "tumor.size.greatest": lambda c, d: entered(qualified(_tumor(c).get("size"), lambda s: length_value(s["greatest"]))),
    "tumor.size.additional": lambda c, d: entered(
        ("text", " x ".join(str(l) for l in known(_tumor(c)["size"])["additional"]))
        if _tumor(c).get("size") is not None and known(_tumor(c)["size"]) is not None
        and known(_tumor(c)["size"])["additional"] else None),
    "tumor.focality": lambda c, d: entered(_tumor(c).get("focality") and choice("focality", _tumor(c)["focality"])),
    "tumor.histologicType": lambda c, d: entered(text_if_any((_tumor(c).get("histologicType") or {}).get("name"))),
    "tumor.histologicType.icdO3": lambda c, d: entered(
        ("coded", _tumor(c)["histologicType"]["icdO3"], _tumor(c)["histologicType"]["icdO3"],
         ("ICD-O-3", _tumor(c)["histologicType"]["icdO3"], _tumor(c)["histologicType"]["name"]))
        if (_tumor(c).get("histologicType") or {}).get("icdO3") is not None else None),
    "tumor.lymphovascularInvasion": lambda c, d: entered(
        _tumor(c).get("lymphovascularInvasion") and choice("presence", _tumor(c)["lymphovascularInvasion"])),
    "tumor.extent": lambda c, d: entered(("textList", _tumor(c)["extent"]) if _tumor(c).get("extent") else None),
    "tumor.recurrent": lambda c, d: entered(None if _tumor(c).get("recurrent") is None else yes_no(_tumor(c)["recurrent"])),
    "tumor.grading.differentiation": _differentiation,
    "tumor.grading.mitoses": lambda c, d: entered(qualified(_grading(c).get("mitoses"), lambda m: ("text", mitoses_description(m)))),
    "tumor.grading.necrosis": lambda c, d: entered(qualified(_grading(c).get("necrosis"), percent_value)),
    "tumor.grading.statedGrade": lambda c, d: entered(
        qualified(_grading(c).get("statedGrade"), lambda s: ("text", grade_display(STATED[s])))),
    "derived.grade": lambda c, d: derived_value(grade_answer(d["grade"]["grade"])),
    "derived.grade.working": lambda c, d: derived_value(("text", d["grade"]["working"])),
    "derived.fnclcc.total": lambda c, d: derived_value(
        None if d["grade"]["scores"] is None else ("count", d["grade"]["scores"][3])),
    "regionalLymphNodes.status": lambda c, d: entered(
        qualified(c["regionalLymphNodes"], lambda n: choice("nodeStatus", n["status"]))),
    "regionalLymphNodes.examined": lambda c, d: entered(
        None if (known(c["regionalLymphNodes"]) or {}).get("examined") is None else ("count", c["regionalLymphNodes"]["examined"])),
    "regionalLymphNodes.involved": lambda c, d: entered(
        None if (known(c["regionalLymphNodes"]) or {}).get("involved") is None else ("count", c["regionalLymphNodes"]["involved"])),
    "distantMetastasis.status": lambda c, d: entered(
        None if c["distantMetastasis"] is None else choice("metastasis", c["distantMetastasis"]["status"])),
    "distantMetastasis.sites": lambda c, d: entered(
        ("textList", c["distantMetastasis"]["sites"]) if (c["distantMetastasis"] or {}).get("sites") else None),
    "derived.siteGroupChapter": lambda c, d: derived_value(
        None if _tumor(c).get("siteGroup") is None else
        ("text", f"AJCC 8th edition, chapter {CHAPTER[_tumor(c)['siteGroup']]}: {label('siteGroup', _tumor(c)['siteGroup'])}")),
    "derived.pT": lambda c, d: derived_value(("text", d["pT"])),
    "derived.t.working": lambda c, d: derived_value(("text", d["tWorking"])),
    "derived.pN": lambda c, d: derived_value(("text", d["pN"])),
    "derived.pM": lambda c, d: derived_value(("text", d["pM"])),
    "derived.stageGroup": lambda c, d: derived_value(
        ("text", d["stage"] if d["stage"] is not None else "not assigned")),
    "derived.stageGroup.reason": lambda c, d: derived_value(("text", d["stageReason"])),
    "derived.margins.rClass": lambda c, d: derived_value(None if d["margins"] is None else ("text", d["margins"]["r"])),
    "derived.margins.closest": lambda c, d: derived_value(
        None if d["margins"] is None or d["margins"]["closest"] is None else ("text", d["margins"]["closest"][0])),
    "derived.margins.closestDistance": lambda c, d: derived_value(
        None if d["margins"] is None or d["margins"]["closest"] is None else length_value(d["margins"]["closest"][1])),
    "derived.margins.close": _margin_close,
    "derived.margins.involved": lambda c, d: derived_value(
        ("textList", d["margins"]["involved"]) if d["margins"] is not None and d["margins"]["involved"] else None),
    "derived.margins.working": lambda c, d: derived_value(None if d["margins"] is None else ("text", d["margins"]["working"])),
}


def _opt_choice(kind, raw):
    return None if raw is None else choice(kind, raw)


def _stain_row(s):
    return _rows([
        ("marker", entered(("text", s["marker"]))), ("clone", entered(text_if_any(s["clone"]))),
        ("result", entered(choice("stainResult", s["result"]))),
        ("intensity", entered(_opt_choice("intensity", s["intensity"]))),
        ("percent", entered(qualified(s["percent"], percent_value))),
        ("pattern", entered(_opt_choice("pattern", s["pattern"]))),
        ("localisation", entered(_opt_choice("localisation", s["localisation"]))),
        ("component", entered(text_if_any(s["component"]))),
        ("internalControl", entered(_opt_choice("control", s["internalControl"]))),
        ("comment", entered(text_if_any(s["comment"]))),
    ])


def _component_rows(c, d):
    out = []
    for comp in _tumor(c).get("components") or []:
        assessed = next((a for name, a in d["components"] if name == comp["name"]), None)
        out.append(_rows([
            ("name", entered(("text", comp["name"]))), ("kind", entered(choice("componentKind", comp["kind"]))),
            ("differentiation", entered(text_if_any(comp["differentiation"]))),
            ("histologicType", entered(text_if_any((comp["histologicType"] or {}).get("name")))),
            ("percent", entered(qualified(comp["percent"], percent_value))),
            ("description", entered(text_if_any(comp["description"]))),
            ("grade", derived_value(None if assessed is None else grade_answer(assessed["grade"]))),
            ("grade.working", derived_value(None if assessed is None else ("text", assessed["working"]))),
        ]))
    return out


def _num(v):
    return None if v is None else ("measurement", v, "1", None)


GROUPS = {
    "specimens": lambda c, d: [_rows([
        ("id", entered(("text", s["id"]))), ("procedure", entered(choice("procedure", s["procedure"]))),
        ("procedureOther", entered(text_if_any(s["procedureOther"]))), ("site", entered(text_if_any(s["site"]))),
        ("laterality", entered(_opt_choice("laterality", s["laterality"]))),
        ("integrity", entered(_opt_choice("integrity", s["integrity"]))),
        ("description", entered(text_if_any(s["description"]))),
    ]) for s in c["specimens"] or []],
    "tumor.components": _component_rows,
    "tumor.margins": lambda c, d: [_rows([
        ("name", entered(("text", m["name"]))), ("status", entered(choice("marginStatus", m["status"]))),
        ("distance", entered(qualified(m["distance"], length_value))), ("tissue", entered(text_if_any(m["tissue"]))),
        ("plannedCloseOnCriticalStructure", entered(
            None if m["plannedCloseOnCriticalStructure"] is None else yes_no(m["plannedCloseOnCriticalStructure"]))),
    ]) for m in _tumor(c).get("margins") or []],
    "stains": lambda c, d: [_stain_row(s) for s in c["stains"] or []],
    "molecular": lambda c, d: [_rows([
        ("method", entered(choice("method", m["method"]))), ("target", entered(("text", m["target"]))),
        ("probe", entered(text_if_any(m["probe"]))), ("result", entered(choice("molecularResult", m["result"]))),
        ("ratio", entered(_num(m["ratio"]))), ("copyNumber", entered(_num(m["copyNumber"]))),
        ("nucleiScored", entered(None if m["nucleiScored"] is None else ("count", m["nucleiScored"]))),
        ("fusionPartner", entered(text_if_any(m["fusionPartner"]))), ("comment", entered(text_if_any(m["comment"]))),
    ]) for m in c["molecular"] or []],
    "priorSpecimens": lambda c, d: [_rows([
        ("accession", entered(("text", p["accession"]))), ("date", entered(None if p["date"] is None else ("date", p["date"]))),
        ("procedure", entered(text_if_any(p["procedure"]))), ("diagnosis", entered(text_if_any(p["diagnosis"]))),
        ("grade", entered(None if p["grade"] is None else ("text", grade_display(STATED[p["grade"]])))),
    ]) for p in c["priorSpecimens"] or []],
    "derived.stainChanges": lambda c, d: [_rows([
        ("marker", derived_value(("text", s["marker"]))), ("prior", derived_value(choice("stainResult", s["prior"]))),
        ("current", derived_value(choice("stainResult", s["current"]))),
        ("priorAccession", derived_value(("text", s["priorAccession"]))),
        ("component", derived_value(text_if_any(s["component"]))), ("text", derived_value(("text", s["text"]))),
    ]) for s in d["stainChanges"]],
}


def resolve(bind):
    if bind in SCALARS:
        return "scalar", SCALARS[bind]
    if bind in GROUPS:
        return "group", GROUPS[bind]
    if bind.startswith("local.") and len(bind) > 6:
        key = bind[6:]
        return "scalar", lambda c, d: entered(text_if_any((c["local"] or {}).get(key)))
    return None, None


# ---------------------------------------------------------------- filling

def holds(condition, answers, row=None):
    if condition is None:
        return True
    item = condition["item"]
    value = row[item] if row is not None and item in row else answers.get(item)
    if condition.get("present") is not None:
        return (value is not None) == condition["present"]
    allowed = condition.get("in")
    if value is None or allowed is None:
        return False
    return any(k in allowed for k in condition_keys(value))


def model_path(bind):
    return "tumor.size" if bind in ("tumor.size.greatest", "tumor.size.additional") else bind


def code_tuple(code):
    return None if code is None else (code["system"], str(code["code"]), code.get("display"))


def make_item(item, bound):
    value = bound[0] if bound is not None else None
    answer_code = None
    if value is not None and value[0] == "coded":
        codes = item.get("answerCodes") or {}
        answer_code = code_tuple(codes[value[1]]) if value[1] in codes else value[3]
    return {"id": item["id"], "label": item["label"], "printText": item.get("printText"),
            "display": display(value) if value is not None else "", "value": value, "type": item["type"],
            "code": code_tuple(item.get("code")), "answerCode": answer_code, "required": item["required"],
            "provenance": bound[1] if bound is not None else None, "help": item.get("help"), "binding": item["bind"],
            "rows": None}


def has_value(item):
    return item["value"] is not None or bool(item["rows"])


def fill(template, c, d, diags):
    answers = {}
    for section in template["sections"]:
        for item in section["items"]:
            kind, get = resolve(item["bind"])
            if kind == "scalar":
                b = get(c, d)
                if b is not None:
                    answers[item["id"]] = b[0]

    def require(item, present, path, row=None):
        if present:
            return
        if item["required"] == "core" or (item["required"] == "conditional" and holds(item.get("requiredWhen"), answers, row)):
            help_text = f": {item['help']}" if item.get("help") is not None else ""
            diags.append(("error", path, "template.required",
                          f"{item['label']} ({item['id']}) is a required element of {template['id']} {template['version']}; "
                          f"give it, or 'not reported' / 'cannot be determined'{help_text}"))

    sections = []
    for section in template["sections"]:
        items = []
        for item in section["items"]:
            if not holds(item.get("showWhen"), answers):
                continue
            kind, get = resolve(item["bind"])
            if kind == "scalar":
                bound = get(c, d)
                require(item, bound is not None, model_path(item["bind"]))
                items.append(make_item(item, bound))
            elif kind == "group":
                rows = get(c, d)
                require(item, bool(rows), model_path(item["bind"]))
                fields = item.get("items") or []
                filled = []
                for r, row in enumerate(rows):
                    row_answers = {f["id"]: row[f["bind"]][0] for f in fields if f["bind"] in row}
                    cells = []
                    for f in fields:
                        if holds(f.get("showWhen"), answers, row_answers):
                            require(f, f["bind"] in row, f"{model_path(item['bind'])}[{r}].{f['bind']}", row_answers)
                            cells.append(make_item(f, row.get(f["bind"])))
                    filled.append(cells)
                group = make_item(item, None)
                group["rows"] = filled
                items.append(group)
        sections.append({"id": section["id"], "title": section["title"], "code": code_tuple(section.get("code")),
                         "items": items})
    return sections


# ---------------------------------------------------------------- diagnostics' positions

_skip = json.JSONDecoder().raw_decode
_WS = " \t\r\n"


def path_components(path):
    out = []
    for segment in path.split("."):
        if "[" in segment:
            key, rest = segment.split("[", 1)
            if key:
                out.append(key)
            for part in ("[" + rest).split("[")[1:]:
                index = part.split("]", 1)[0]
                if index.isdigit():
                    out.append(int(index))
        elif segment:
            out.append(segment)
    return out


def locate(text, path):
    """(line, column) of the value at a model path in JSON text: the deepest node
    along the path that exists, as synoptic's source map gives it. Walks only the
    path; values beside it are skipped by the C scanner."""
    comps = path_components(path)
    if not comps:
        return None
    n = len(text)
    i = 0
    while i < n and text[i] in _WS:
        i += 1
    node = i
    for comp in comps:
        opener = text[node] if node < n else ""
        j = node + 1
        found = None
        if (opener == "{" and isinstance(comp, str)) or (opener == "[" and isinstance(comp, int)):
            index = 0
            while True:
                while text[j] in _WS:
                    j += 1
                if text[j] in "}]":
                    break
                if opener == "{":
                    key, j = scanstring(text, j + 1)
                    while text[j] in _WS:
                        j += 1
                    j += 1  # the colon
                    while text[j] in _WS:
                        j += 1
                    hit = key == comp
                else:
                    hit = index == comp
                if hit:
                    found = j
                    break
                _, j = _skip(text, j)
                while text[j] in _WS:
                    j += 1
                index += 1
                if text[j] == ",":
                    j += 1
                    continue
                break
        if found is None:
            break
        node = found
    line = text.count("\n", 0, node) + 1
    return line, node - (text.rfind("\n", 0, node) + 1) + 1


# ---------------------------------------------------------------- text formatting

def wrap(text, width, first_prefix, indent):
    width = max(width, indent + 10)
    lines = []
    current, count, has_word = first_prefix, len(first_prefix), False
    pad = " " * indent
    for paragraph in text.split("\n"):
        for word in paragraph.split(" "):
            while word:
                room = width - count - (1 if has_word else 0)
                if len(word) <= room:
                    if has_word:
                        current += " "
                        count += 1
                    current += word
                    count += len(word)
                    has_word = True
                    word = ""
                elif not has_word or len(word) > width - indent:
                    take = max(1, room)
                    if has_word:
                        current += " "
                        count += 1
                    current += word[:take]
                    count += take
                    word = word[take:]
                    lines.append(current)
                    current, count, has_word = pad, indent, False
                else:
                    lines.append(current)
                    current, count, has_word = pad, indent, False
        lines.append(current)
        current, count, has_word = pad, indent, False
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def labelled(label_text, value, column, width):
    head = label_text + ":"
    prefix = head + " " if len(head) + 1 > column else head + " " * (column - len(head))
    return wrap(value, width, prefix, column)


def columns(rows):
    order, seen = [], set()
    for row in rows:
        for cell in row:
            if has_value(cell) and cell["id"] not in seen:
                seen.add(cell["id"])
                order.append((cell["id"], cell["label"]))
    first = {}
    for i, cid in enumerate(cell["id"] for row in rows for cell in row):
        first.setdefault(cid, i)
    return sorted(order, key=lambda col: first.get(col[0], 0))


def row_text(row):
    cells = [c for c in row if has_value(c)]
    if not cells:
        return ""
    rest = [f"{c['printText']} {c['display']}" if c["printText"] is not None else c["display"] for c in cells[1:]]
    return cells[0]["display"] + ": " + "; ".join(rest) if rest else cells[0]["display"]


def layout_context(doc, width=80):
    """ReportTree.build: what the text and HTML layouts see."""
    warnings = [x for x in doc["diagnostics"] if x[0] == "warning"]
    errors = [x for x in doc["diagnostics"] if x[0] == "error"]
    shown = [len(i["label"]) for s in doc["sections"] for i in s["items"] if has_value(i) or i["required"] == "core"]
    column = min(max((max(shown) if shown else 20) + 2, 16), max(20, width // 2))
    sections, blocks = [], []
    for section in doc["sections"]:
        items, lines = [], []
        for item in section["items"]:
            missing = not has_value(item) and item["required"] == "core"
            if not (has_value(item) or missing):
                continue
            obj = {"label": item["label"], "display": item["display"], "missing": missing,
                   "derived": item["provenance"] == "derived", "defaulted": item["provenance"] == "default",
                   "isGroup": item["rows"] is not None}
            rows = item["rows"]
            if rows is not None:
                cols = columns(rows)
                obj["columns"] = [label_text for _, label_text in cols]
                obj["hasRows"] = bool(rows)
                obj["rows"] = [[next((c["display"] if has_value(c) else "" for c in row if c["id"] == cid), "")
                                for cid, _ in cols] for row in rows]
                if not rows:
                    lines.append(labelled(item["label"], "Required - not given", column, width))
                else:
                    lines.append(item["label"] + ":")
                    for row in rows:
                        lines.append(wrap(row_text(row), width, "  - ", 4))
            else:
                shown_text = "Required - not given" if missing else item["display"]
                suffix = " (from the FNCLCC table)" if item["provenance"] == "default" else ""
                lines.append(labelled(item["label"], shown_text + suffix, column, width))
            items.append(obj)
        if items:
            sections.append({"id": section["id"], "title": section["title"], "items": items})
            blocks.append({"title": section["title"].upper(), "lines": lines})
    status = doc["status"]
    text = {
        "diagnosis": [wrap(x, width, "", 0) for x in doc["diagnosis"]],
        "sections": blocks,
        "warnings": [wrap(f"Warning: {x[3]} [{x[1]}]", width, "", 9) for x in warnings],
        "errors": [wrap(f"Error: {x[3]} [{x[1]}]", width, "", 7) for x in errors],
        "comment": None if doc["comment"] is None else wrap(doc["comment"], width, "", 0),
        "amendmentReason": None,
        "changedItems": [],
        "addenda": [],
    }
    return {
        "accession": doc["accession"], "reportDate": doc["reportDate"], "isDraft": status == "draft",
        "isAmended": False, "version": 1, "templateId": doc["templateId"], "templateTitle": doc["templateTitle"],
        "templateVersion": doc["templateVersion"], "templateProvenance": doc["templateProvenance"],
        "baseTemplate": None, "letterhead": doc["letterhead"], "facility": doc["facility"],
        "patient": doc["patient"], "orderingPhysician": doc["orderingPhysician"], "orderNumber": doc["orderNumber"], "diagnosis": doc["diagnosis"],
        "comment": doc["comment"], "sections": sections,
        "hasWarnings": bool(warnings), "warnings": [{"path": x[1], "message": x[3]} for x in warnings],
        "hasErrors": bool(errors), "errors": [{"path": x[1], "message": x[3]} for x in errors],
        "signOut": None if doc["signedOutBy"] is None else {"pathologist": doc["signedOutBy"], "time": doc["signedOutAt"] or ""},
        "amendmentReason": None, "changedItems": [], "addenda": [], "text": text,
    }


# ---------------------------------------------------------------- report XML (lxml)

NS = "urn:synoptic:report:1.0"
Q = "{" + NS + "}"
SubElement = etree.SubElement


def el(parent, name, attrs=(), text=None):
    e = SubElement(parent, Q + name)
    for k, v in attrs:
        if v is not None:
            e.set(k, v)
    if text is not None:
        e.text = text
    return e


def opt(parent, name, value):
    if value is not None:
        el(parent, name, (), value)


def xml_code(parent, code):
    el(parent, "code", (("system", code[0]), ("code", code[1]), ("display", code[2])))


def xml_value(parent, v, answer_code):
    kind = v[0]
    if kind == "coded":
        e = el(parent, "coded", (("value", v[1]), ("display", v[2])))
        code = answer_code or v[3]
        if code is not None:
            xml_code(e, code)
    elif kind == "codedList":
        e = el(parent, "codedList")
        for a in v[1]:
            c = el(e, "coded", (("value", a[0]), ("display", a[1])))
            if a[2] is not None:
                xml_code(c, a[2])
    elif kind == "measurement":
        el(parent, "measurement", (("value", number_text(v[1])), ("unit", v[2]), ("comparator", v[3])))
    elif kind == "count":
        el(parent, "count", (), str(v[1]))
    elif kind in ("text", "date"):
        el(parent, kind, (), v[1])
    elif kind == "textList":
        e = el(parent, "textList")
        for t in v[1]:
            el(e, "text", (), t)
    elif kind == "notReported":
        el(parent, "notReported")
    else:
        el(parent, "cannotBeDetermined", (("reason", v[1]),))


def xml_item(parent, i):
    e = el(parent, "item", (("id", i["id"]), ("label", i["label"]), ("type", i["type"]), ("required", i["required"]),
                            ("provenance", i["provenance"]), ("binding", i["binding"]),
                            ("display", i["display"] if has_value(i) else None)))
    if i["code"] is not None:
        xml_code(e, i["code"])
    if i["rows"] is not None:
        for n, row in enumerate(i["rows"]):
            r = el(e, "row", (("index", str(n + 1)),))
            for cell in row:
                if has_value(cell):
                    xml_item(r, cell)
    elif i["value"] is not None:
        xml_value(e, i["value"], i["answerCode"])


def xml_grade(parent, g, name, component=None):
    e = el(parent, name, (("component", component), ("value", grade_value(g["grade"])), ("ajcc", grade_ajcc(g["grade"])),
                          ("source", g["source"]), ("display", grade_display(g["grade"]))))
    s = g["scores"]
    if s is not None:
        el(e, "scores", (("differentiation", str(s[0])), ("mitotic", str(s[1])), ("necrosis", str(s[2])),
                         ("total", str(s[3])), ("differentiationFromTable", "true" if g["fromTable"] else "false")))
    el(e, "working", (), g["working"])


def report_xml(doc, c, d):
    root = etree.Element(Q + "report", nsmap={None: NS})
    root.set("accession", doc["accession"])
    root.set("status", doc["status"])
    root.set("version", "1")
    t = el(root, "template", (("id", doc["templateId"]), ("version", doc["templateVersion"]), ("title", doc["templateTitle"])))
    el(t, "provenance", (), doc["templateProvenance"])
    p = el(root, "patient")
    for k in ("name", "mrn", "birthDate", "sex"):
        opt(p, k, doc["patient"][k])
    opt(root, "reportDate", doc["reportDate"])
    opt(root, "orderNumber", c["orderNumber"])
    opt(root, "orderingPhysician", doc["orderingPhysician"])
    opt(root, "facility", doc["facility"])
    specimens = el(root, "specimens")
    for s in c["specimens"] or []:
        e = el(specimens, "specimen", (("id", s["id"]), ("procedure", s["procedure"])))
        el(e, "procedureLabel", (), s["procedureOther"] if s["procedureOther"] is not None else label("procedure", s["procedure"]))
        opt(e, "site", s["site"])
        opt(e, "laterality", None if s["laterality"] is None else label("laterality", s["laterality"]))
    diagnosis = el(root, "diagnosis")
    for line in doc["diagnosis"]:
        el(diagnosis, "line", (), line)
    sections = el(root, "sections")
    for section in doc["sections"]:
        e = el(sections, "section", (("id", section["id"]), ("title", section["title"])))
        if section["code"] is not None:
            xml_code(e, section["code"])
        for item in section["items"]:
            xml_item(e, item)
    derived = el(root, "derived")
    xml_grade(derived, d["grade"], "grade")
    for name, a in d["components"]:
        xml_grade(derived, a, "componentGrade", name)
    site_group = (c["tumor"] or {}).get("siteGroup")
    staging = el(derived, "staging", (("siteGroup", site_group),
                                      ("ajccChapter", None if site_group is None else str(CHAPTER[site_group])), ("edition", "8")))
    el(staging, "t", (("category", d["t"]), ("display", d["pT"])), d["tWorking"])
    el(staging, "n", (("category", d["n"]), ("display", d["pN"])))
    el(staging, "m", (("category", d["m"]), ("display", d["pM"])))
    el(staging, "stageGroup", (("value", d["stage"]), ("assigned", "false" if d["stage"] is None else "true")), d["stageReason"])
    m = d["margins"]
    if m is not None:
        e = el(derived, "margins", (("rClass", m["r"]),))
        if m["closest"] is not None:
            name, dist = m["closest"]
            el(e, "closest", (("name", name), ("distanceMm", number_text(dist.mm)), ("value", number_text(dist.value)),
                              ("unit", dist.unit), ("comparator", dist.comparator), ("close", "true" if m["close"] else "false")))
        el(e, "working", (), m["working"])
    comparison = el(root, "comparison")
    for change in d["stainChanges"]:
        el(comparison, "change", (), change["text"])
    opt(root, "comment", doc["comment"])
    diagnostics = el(root, "diagnostics")
    for x in doc["diagnostics"]:
        pos = x[4]
        el(diagnostics, "diagnostic", (("severity", x[0]), ("path", x[1]), ("rule", x[2]),
                                       ("line", None if pos is None else str(pos[0])),
                                       ("column", None if pos is None else str(pos[1]))), x[3])
    if doc["signedOutBy"] is not None:
        el(root, "signature", (("pathologist", doc["signedOutBy"]), ("time", doc["signedOutAt"])))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


# ---------------------------------------------------------------- templates and layouts

class Templates:
    def __init__(self, directory):
        self.templates = []
        for name in sorted(os.listdir(directory)):
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    t = yaml.safe_load(f)
                if isinstance(t, dict) and "sections" in t and "base" not in t:
                    self.templates.append(t)
        self.templates.sort(key=lambda t: t["id"])
        with open(os.path.join(directory, "layouts", "report-style.mustache"), encoding="utf-8") as f:
            style = markupsafe.Markup(f.read())
        loader = jinja2.FileSystemLoader(os.path.join(HERE, "pipeline"))
        options = dict(loader=loader, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                       finalize=lambda v: "" if v is None else v)
        self.text = jinja2.Environment(autoescape=False, **options).get_template("report.text.jinja2")
        html = jinja2.Environment(autoescape=True, **options)
        html.globals["style"] = style
        self.html = html.get_template("report.html.jinja2")

    def for_case(self, c):
        wanted = "resection" if any(s["procedure"] not in BIOPSIES for s in c["specimens"] or []) else "biopsy"
        for t in self.templates:
            if wanted in (t.get("appliesTo") or []):
                return t
        return None


# ---------------------------------------------------------------- one case

def render_case(text, templates, formats):
    """Returns ({format: bytes}, diagnostics); raises CaseError when the case cannot be reported."""
    c = DECODER.case(json.loads(text))
    template = templates.for_case(c)
    if template is None:
        raise CaseError("", "no template applies to this case")
    d, diags = validate(c)
    sections = fill(template, c, d, diags)
    located = [x + (locate(text, x[1]),) for x in diags]
    located = [x for _, x in sorted(enumerate(located), key=lambda p: (p[1][4][0] if p[1][4] else sys.maxsize, p[0]))]
    if any(x[0] == "error" for x in located):
        raise CaseError(located[0][1], "; ".join(f"{x[1]}: {x[3]}" for x in located if x[0] == "error"))
    signed = c["signOut"] is not None and c["signOut"]["time"] is not None
    p = c["patient"] or {}
    doc = {
        "templateId": template["id"], "templateTitle": template["title"], "templateVersion": str(template["version"]),
        "templateProvenance": template["provenance"], "letterhead": template.get("letterhead"),
        "accession": c["accession"], "reportDate": c["reportDate"], "status": "final" if signed else "draft",
        "patient": {"name": p.get("name"), "mrn": p.get("mrn"), "birthDate": p.get("birthDate"),
                    "sex": None if p.get("sex") is None else label("sex", p["sex"])},
        "orderingPhysician": c["orderingPhysician"], "orderNumber": c["orderNumber"], "facility": c["facility"], "diagnosis": c["diagnosis"] or [],
        "comment": c["comment"], "sections": sections, "diagnostics": located,
        "signedOutBy": c["signOut"]["pathologist"] if signed else None,
        "signedOutAt": c["signOut"]["time"] if signed else None,
    }
    out = {}
    if "text" in formats or "html" in formats:
        context = layout_context(doc)
        if "text" in formats:
            out["txt"] = templates.text.render(context).encode("utf-8")
        if "html" in formats:
            out["html"] = templates.html.render(context).replace("&#34;", "&quot;").encode("utf-8")
    if "xml" in formats:
        out["xml"] = report_xml(doc, c, d)
    return out, located


# ---------------------------------------------------------------- batch

def case_paths(source):
    """(path, output stem relative to OUTDIR): a directory walked in sorted order, or a list file."""
    if os.path.isdir(source):
        for folder, dirs, files in os.walk(source):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".json", ".yaml", ".yml")):
                    path = os.path.join(folder, name)
                    yield path, os.path.splitext(os.path.relpath(path, source))[0]
    else:
        with open(source, encoding="utf-8") as f:
            for line in f:
                path = line.strip()
                if path:
                    stem = os.path.splitext(os.path.basename(path) if os.path.isabs(path) or ".." in path.split("/") else path)[0]
                    yield path, stem


def write_atomic(path, data):
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp.{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--templates", required=True)
    ap.add_argument("--batch", required=True, help="a directory of case files or a file listing them")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--format", default="text,html,xml")
    a = ap.parse_args()
    formats = set(a.format.split(","))
    unknown = formats - {"text", "html", "xml"}
    if unknown:
        ap.error(f"formats this peer writes: text, html, xml (not {', '.join(sorted(unknown))})")
    templates = Templates(a.templates)
    total = rendered = written = 0
    failures = []
    start = time.perf_counter()
    for path, stem in case_paths(a.batch):
        total += 1
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            outputs, _ = render_case(text, templates, formats)
        except (OSError, ValueError, CaseError) as e:  # json.JSONDecodeError is a ValueError
            failures.append({"path": path, "error": str(e)})
            continue
        for ext, data in outputs.items():
            write_atomic(os.path.join(a.output, f"{stem}.{ext}"), data)
            written += 1
        rendered += 1
    seconds = time.perf_counter() - start
    report = {"total": total, "rendered": rendered, "failed": len(failures), "filesWritten": written,
              "seconds": round(seconds, 3), "failures": failures}
    os.makedirs(a.output, exist_ok=True)
    with open(os.path.join(a.output, "batch-report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(f"python-pipeline cases={total} rendered={rendered} failed={len(failures)} seconds={seconds:.3f} "
          f"cases_per_s={total / seconds if seconds else 0:.0f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
