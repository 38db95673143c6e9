"""Spidermon's item validation with the schema compiled once, to Python code.

Spidermon checks every item with ``jsonschema``, building a validator per item; at crawl speed
that cost more CPU than any of our pipelines. Here the schema is compiled once with
``fastjsonschema``; a valid item (nearly every one) costs a few microseconds. An invalid item is
checked again by Spidermon's own ``jsonschema`` validator, so its errors, their wording and the
``spidermon/validation/...`` stats that the Item Validation Monitor reads are Spidermon's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.contrib.validation import JSONSchemaValidator

# The schema's keywords (type, pattern, enum, const, minimum, minLength, items, required,
# additionalProperties) mean the same in draft 7, the newest draft fastjsonschema knows.
DRAFT_7 = "http://json-schema.org/draft-07/schema#"


def compile_schema(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """A function that returns valid data and raises ``JsonSchemaValueException`` otherwise."""
    return fastjsonschema.compile({**schema, "$schema": DRAFT_7})


class CompiledSchemaValidator(JSONSchemaValidator):
    """Spidermon's JSON Schema validator, asked only about data the compiled schema rejects."""

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__(schema)
        self._check = compile_schema(schema)

    def _validate(self, data: Any, strict: bool = False) -> None:
        try:
            self._check(data)
        except fastjsonschema.JsonSchemaValueException:
            super()._validate(data, strict)  # every error, in Spidermon's words


class SchemaValidationPipeline(ItemValidationPipeline):
    """``SPIDERMON_VALIDATION_SCHEMAS``, validated as Spidermon's pipeline does, faster."""

    @classmethod
    def _load_jsonschema_validator(cls, schema: Any) -> JSONSchemaValidator:
        loaded = super()._load_jsonschema_validator(schema)
        return CompiledSchemaValidator(loaded._schema)
