"""Pydantic models of the desired state, YAML loading with positions, JSON Schema export."""
