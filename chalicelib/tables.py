"""Provisioning from the models: every table created (emulator, tests) and described (infra/).

The models in models.py are the one source of the table layouts: `create_tables` builds
them in the emulator with TTL on `expires_at`, and `full_layout` is what infra/generate.py
writes into the CloudFormation template and what tests/test_infra.py holds it to (moto's
CloudFormation ignores TimeToLiveSpecification, so the emulator is provisioned from here).
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.models import ALL_MODELS, TTL_ATTRIBUTE


def has_ttl(model: type[Model]) -> bool:
    return TTL_ATTRIBUTE in model.get_attributes()


def create_tables() -> list[str]:
    """Create every missing table (with TTL enabled); used by the emulator and tests."""
    created = []
    for model in ALL_MODELS:
        if model.exists():
            continue
        model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        if has_ttl(model):
            model._get_connection().update_time_to_live(TTL_ATTRIBUTE)
        created.append(model.Meta.table_name)
    return created


def full_layout(model: type[Model]) -> dict[str, Any]:
    """Key schema, attribute types, indexes and TTL of a model, for infra/ and its check."""
    schema = model._get_schema()
    return {
        "key_schema": sorted(schema["key_schema"], key=lambda k: k["KeyType"]),
        "attribute_definitions": sorted(
            schema["attribute_definitions"], key=lambda a: a["AttributeName"]
        ),
        "indexes": [
            {"IndexName": i["index_name"], "KeySchema": i["key_schema"]}
            for i in schema.get("global_secondary_indexes", [])
        ],
        "ttl": TTL_ATTRIBUTE if has_ttl(model) else None,
    }
