#!/usr/bin/env python3
"""Checks Synoptic's HL7 v2 messages and FHIR bundles with independent validators.

  validate_interop.py hl7 FILE...    hl7apy 1.3.5, STRICT, plus the OBR-before-OBX order
                                     check and our NAACCR Volume V checks
  validate_interop.py fhir FILE...   fhir.resources 6.4.0 (FHIR 4.0.1 models) plus our
                                     checks (codes, references resolve, Composition first)
  validate_interop.py cda FILE...    Schemas/apsr-synoptic.sch (ISO Schematron, lxml) for
                                     the APSR 2.x template rules the CDA XSD cannot see

Prints one line per file and exits 1 if any file is invalid.
"""
import base64
import json
import sys


def check_hl7(path):
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.parser import parse_message

    raw = open(path, newline="").read()
    problems = []
    if "\n" in raw:
        problems.append("segments must end with CR only")
    er7 = "\r".join(s for s in raw.replace("\r\n", "\r").replace("\n", "\r").split("\r") if s)
    msg = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    msg.validate()
    for pr in msg.oru_r01_patient_result:
        for oo in pr.oru_r01_order_observation:
            names = [c.name for c in oo.children]
            first = names[1] if names[0] == "ORC" else names[0]
            if first != "OBR":
                problems.append("ORDER_OBSERVATION does not start with [ORC] OBR: %s" % names[:3])
    if msg.msh.msh_12.to_er7() != "2.5.1":
        problems.append("MSH-12 is not 2.5.1")
    if "NAACCR_CP" not in msg.msh.msh_21.to_er7():
        problems.append("MSH-21 does not name the NAACCR Volume V profile")
    segments = er7.split("\r")
    obr4 = [s.split("|")[4].split("^")[0] for s in segments if s.startswith("OBR|")]
    if obr4 != ["11529-5", "60568-3"]:
        problems.append("OBR-4 codes are %s, expected 11529-5 then 60568-3" % obr4)
    synoptic = segments[[i for i, s in enumerate(segments) if s.startswith("OBR|")][1] + 1:]
    firsts = [s.split("|")[3].split("^")[0] for s in synoptic[:3]]
    if firsts != ["60573-3", "60572-5", "60574-1"]:
        problems.append("the synoptic OBR does not start with template source, id and version: %s" % firsts)
    # Result statuses: OBR-25 (table 0123) is P, F or C for every OBR, and each
    # OBX-11 (table 0085) agrees with it: the same letter, or W under C for a
    # report withdrawn as wrong (issued for the wrong patient).
    statuses = set()
    for s in segments:
        if s.startswith("OBR|"):
            f = s.split("|")
            statuses.add(f[25] if len(f) > 25 else "")
    if len(statuses) != 1 or not statuses <= {"F", "C", "P"}:
        problems.append("OBR-25 result statuses are %s, expected one of P/F/C" % sorted(statuses))
    allowed = {"P": {"P"}, "F": {"F"}, "C": {"C", "W"}}.get(next(iter(statuses), ""), set())
    results = set()
    for s in segments:
        if s.startswith("OBX|"):
            f = s.split("|")
            results.add(f[11] if len(f) > 11 else "")
            if len(f) < 12 or f[11] not in allowed:
                problems.append("OBX-11 missing or not what OBR-25 allows (%s): %s" % (sorted(allowed), s[:60]))
            for rep in f[5].split("~"):
                if len(rep) > 199 * 5:  # escaped text may grow; raw repetitions are split at 199
                    problems.append("OBX-5 repetition too long in %s" % f[3])
            # OBX-4: hierarchical GROUP.ROW sub-ids, never a bare row number shared by two groups.
            if len(f) > 4 and f[4] and f[4] != "1" and not all(p.isdigit() for p in f[4].split(".")):
                problems.append("OBX-4 '%s' is not a hierarchical sub-id" % f[4])
    if len(results) > 1:
        problems.append("OBX-11 differs between results: %s" % sorted(results))
    msh = segments[0].split("|")
    if len(msh) < 18 or msh[17] != "UNICODE UTF-8":
        problems.append("MSH-18 does not declare UNICODE UTF-8")
    if not any(s.startswith("SPM|") for s in segments):
        problems.append("no SPM segment")
    return problems, "STRICT OK %s %s" % (msg.msh.msh_9.to_er7(), msg.msh.msh_21.to_er7())


def check_fhir(path):
    import fhir.resources
    from fhir.resources.bundle import Bundle

    bundle = Bundle.parse_file(path)  # raises on any FHIR 4.0.1 model error
    problems = []
    data = json.load(open(path))
    if fhir.resources.__fhir_version__ != "4.0.1":
        problems.append("fhir.resources is not FHIR 4.0.1")
    if data.get("type") != "document" or not data.get("identifier") or not data.get("timestamp"):
        problems.append("a document Bundle needs type document, identifier and timestamp")
    entries = data["entry"]
    urls = {e["fullUrl"] for e in entries}
    if len(urls) != len(entries):
        problems.append("duplicate fullUrl")
    if entries[0]["resource"]["resourceType"] != "Composition":
        problems.append("Composition is not the first entry")
    types = [e["resource"]["resourceType"] for e in entries]
    for needed in ["Patient", "Practitioner", "PractitionerRole", "Organization", "Specimen", "DiagnosticReport", "Observation"]:
        if needed not in types:
            problems.append("no %s" % needed)
    if types.count("DiagnosticReport") != 1:
        problems.append("exactly one DiagnosticReport expected")

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "reference":
                    yield v
                else:
                    yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)
            if not node:
                problems.append("empty array")

    for ref in walk(data):
        if ref not in urls:
            problems.append("reference %s does not resolve inside the bundle" % ref)
    for e in entries:
        r = e["resource"]
        if e["fullUrl"] != "urn:uuid:" + r.get("id", ""):
            problems.append("fullUrl does not match id for %s" % r["resourceType"])
        if r["resourceType"] == "DiagnosticReport":
            codes = [c["code"] for c in r["code"]["coding"]]
            cats = [c["code"] for cat in r["category"] for c in cat["coding"]]
            if "60568-3" not in codes:
                problems.append("DiagnosticReport.code is not LOINC 60568-3")
            if "LP7839-6" not in cats:
                problems.append("DiagnosticReport.category is not LP7839-6")
            if r["status"] not in ("final", "amended", "preliminary", "corrected", "appended", "entered-in-error"):
                problems.append("DiagnosticReport.status %s" % r["status"])
            forms = {p["contentType"].split(";")[0] for p in r.get("presentedForm", [])}
            if forms != {"text/plain", "text/html"}:
                problems.append("presentedForm must carry text and HTML: %s" % forms)
            for p in r.get("presentedForm", []):
                base64.b64decode(p["data"], validate=True)
        if r["resourceType"] == "Observation":
            cats = [c["code"] for cat in r["category"] for c in cat["coding"]]
            if "SECTION" in cats and "hasMember" not in r:
                problems.append("section Observation without hasMember")
            if "QUESTION" in cats and "derivedFrom" not in r:
                problems.append("question Observation without derivedFrom")
    return problems, "%s VALID %d entries" % (fhir.resources.__fhir_version__, len(entries))


_schematron = None


def check_cda(path):
    global _schematron
    import os
    from lxml import etree, isoschematron

    if _schematron is None:
        sch = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Schemas", "apsr-synoptic.sch")
        _schematron = isoschematron.Schematron(etree.parse(sch), store_report=True)
    ok = _schematron.validate(etree.parse(path))
    ns = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
    problems = [" ".join(f.findtext("svrl:text", namespaces=ns).split()) + " (at %s)" % f.get("location")
                for f in _schematron.validation_report.xpath("//svrl:failed-assert", namespaces=ns)]
    return problems, "APSR Schematron OK" if ok else ""


def main():
    checks = {"hl7": check_hl7, "fhir": check_fhir, "cda": check_cda}
    if len(sys.argv) < 3 or sys.argv[1] not in checks:
        print(__doc__)
        return 64
    check = checks[sys.argv[1]]
    failed = 0
    for path in sys.argv[2:]:
        try:
            problems, ok = check(path)
        except Exception as ex:  # the validators raise on invalid input
            problems, ok = ["%s: %s" % (type(ex).__name__, str(ex)[:500])], ""
        if problems:
            failed += 1
            for p in problems:
                print("%s: INVALID %s" % (path, p))
        else:
            print("%s: %s" % (path, ok))
    print("%d passed, %d failed" % (len(sys.argv) - 2 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
