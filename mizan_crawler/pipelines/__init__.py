"""Item pipelines, one job each, in this order: validate (schema and rules), deduplicate, store."""
