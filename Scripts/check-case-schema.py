"""Every sample case must satisfy the Case schema the server publishes, so
the OpenAPI document describes the cases the decoder accepts.
Usage: check-case-schema.py OPENAPI_JSON CASE.yaml...
"""
import datetime
import json
import sys

import jsonschema
import yaml


def plain(value):
    # YAML reads 2021-03-16 as a date; in JSON it is the string.
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


document = json.load(open(sys.argv[1]))
schema = dict(document["components"]["schemas"]["Case"])
schema["$defs"] = document["components"]["schemas"]
text = json.dumps(schema).replace("#/components/schemas/", "#/$defs/")
validator = jsonschema.Draft202012Validator(json.loads(text))
failed = 0
for path in sys.argv[2:]:
    case = plain(yaml.safe_load(open(path)))
    errors = sorted(validator.iter_errors(case), key=lambda e: list(e.absolute_path))
    for e in errors[:5]:
        print(f"{path}: {'/'.join(map(str, e.absolute_path)) or '(case)'}: {e.message[:200]}")
    failed += bool(errors)
print(f"check-case-schema: {len(sys.argv) - 2 - failed} of {len(sys.argv) - 2} cases satisfy the published Case schema")
sys.exit(1 if failed else 0)
